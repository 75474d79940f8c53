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
 * @param receiveQueues how many receive queues it has (/sys/class/net/NAME/queues/rx-*), 0 when not known: the
 *                      AF_XDP path opens a socket on each of the first ones, one per worker
 * @param transmitQueues how many transmit queues it has (/sys/class/net/NAME/queues/tx-*), 0 when not known: an
 *                       AF_XDP socket sends on its own queue number, so only one on a queue below this sends
 */
public record DrInterface(String name, int index, long mac, int receiveQueues, int transmitQueues) {

    public DrInterface {
        Objects.requireNonNull(name, "name");
    }

    /** One whose queues are not known. */
    public DrInterface(String name, int index, long mac) {
        this(name, index, mac, 0, 0);
    }
}
