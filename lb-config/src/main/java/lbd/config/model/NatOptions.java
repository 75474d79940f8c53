package lbd.config.model;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * lbd's per-service options of the NAT proxy that decide which client address a real server learns, and which
 * address lbd connects from. With none of them, a real server behind lbd's proxy sees the director's address,
 * where IPVS-NAT shows the client's.
 *
 * @param proxyProtocol   proxyprotocol=: a PROXY header before the client's first byte to each real server
 * @param acceptProxy     acceptproxy=yes: each client connection starts with a PROXY header from an upstream hop,
 *                        whose source address is then the client's address for everything lbd does
 * @param transparent     transparent=yes: connections to real servers are made from the client's own address
 * @param sourceAddresses sourceaddress=: the director's addresses connections to real servers are made from, in
 *                        turn, each giving its own local ports (empty: the address the kernel's route chooses)
 */
public record NatOptions(ProxyProtocol proxyProtocol, boolean acceptProxy, boolean transparent,
                         List<InetAddress> sourceAddresses) {

    /** None: the real server sees the director's address. */
    public static final NatOptions NONE = new NatOptions(ProxyProtocol.OFF, false, false);

    public NatOptions {
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        sourceAddresses = List.copyOf(sourceAddresses);
        if (transparent && !sourceAddresses.isEmpty()) {
            throw new IllegalArgumentException("transparent=yes connects from the client's address, not from"
                    + " sourceaddress=");
        }
    }

    /** Without source addresses of its own. */
    public NatOptions(ProxyProtocol proxyProtocol, boolean acceptProxy, boolean transparent) {
        this(proxyProtocol, acceptProxy, transparent, List.of());
    }
}
