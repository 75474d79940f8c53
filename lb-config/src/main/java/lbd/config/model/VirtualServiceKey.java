package lbd.config.model;

import java.util.Objects;

/**
 * The stable identity of a virtual service: protocol and VIP:port (as IPVS keys it). Two configurations
 * that both have {@code virtual=10.8.8.45:80} over TCP describe the same service; a reload diffs on this key.
 */
public record VirtualServiceKey(Protocol protocol, Endpoint address) implements Comparable<VirtualServiceKey> {

    public VirtualServiceKey {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(address, "address");
    }

    @Override
    public String toString() {
        return protocol.listingName() + " " + address;
    }

    @Override
    public int compareTo(VirtualServiceKey o) {
        int c = protocol.compareTo(o.protocol);
        return c != 0 ? c : address.compareTo(o.address);
    }
}
