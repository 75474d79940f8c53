package lbd.config.model;

import java.util.Objects;

/**
 * lbd's per-service options of the NAT proxy that decide which client address a real server learns. With none
 * of them, a real server behind lbd's proxy sees the director's address, where IPVS-NAT shows the client's.
 *
 * @param proxyProtocol proxyprotocol=: a PROXY header before the client's first byte to each real server
 * @param acceptProxy   acceptproxy=yes: each client connection starts with a PROXY header from an upstream hop,
 *                      whose source address is then the client's address for everything lbd does
 * @param transparent   transparent=yes: connections to real servers are made from the client's own address
 */
public record NatOptions(ProxyProtocol proxyProtocol, boolean acceptProxy, boolean transparent) {

    /** None: the real server sees the director's address. */
    public static final NatOptions NONE = new NatOptions(ProxyProtocol.OFF, false, false);

    public NatOptions {
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
    }
}
