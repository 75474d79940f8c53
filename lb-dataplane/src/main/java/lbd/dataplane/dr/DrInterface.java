package lbd.dataplane.dr;

import java.util.Objects;

/**
 * The network interface the DR data path runs on, as the control plane found it on the host (lb-director's
 * DrHost): the data plane opens its sockets on it and rewrites frames from its MAC; it reads nothing of the host
 * itself.
 *
 * @param name  e.g. {@code eth0}
 * @param index the kernel's interface index (for AF_PACKET bind)
 * @param mac   its MAC address (48 bits)
 */
public record DrInterface(String name, int index, long mac) {

    public DrInterface {
        Objects.requireNonNull(name, "name");
    }
}
