package lbd.config.model;

import java.util.Objects;

/**
 * The stable identity of a real server within its virtual service: the service's key and RIP:port.
 * Per-worker state that must survive a table swap (wrr position, connection counts) is keyed by this.
 */
public record RealServerKey(VirtualServiceKey service, Endpoint address) {

    public RealServerKey {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(address, "address");
    }

    @Override
    public String toString() {
        return address + " (" + service + ")";
    }
}
