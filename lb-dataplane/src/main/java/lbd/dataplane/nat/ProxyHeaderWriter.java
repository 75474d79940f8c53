package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import lbd.config.model.ProxyProtocol;

/**
 * proxyprotocol=v1|v2: the PROXY header (HAProxy's proxy-protocol.txt) that opens a connection to a real server,
 * carrying the client's address and the VIP it connected to. Encoded by Netty's {@link HAProxyMessageEncoder}: the
 * encoder is put at the head of the real server's pipeline for this one write and taken out again at once (the
 * write runs synchronously on the loop's thread), so no handler stays behind for the connection's bytes.
 *
 * <p>TCP only for now: the header says {@code TCP4}/{@code TCP6} (v1) or STREAM (v2). When lbd balances UDP, the
 * same header goes first in each flow's first datagram to the real server with {@code UDP4}/{@code UDP6}
 * (DGRAM), as HAProxy's spec allows for v2 only (v1 has no UDP); the real server keys the flow on it.
 */
final class ProxyHeaderWriter {

    private static final String ENCODER = "lbd-proxy-header";

    private ProxyHeaderWriter() {
    }

    /**
     * Loop thread: writes (without flushing) the header for a connection from {@code source} to {@code destination}
     * on {@code backend}, connected and with nothing written yet. A failure surfaces as the channel's exceptionCaught.
     */
    static void write(Channel backend, ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination) {
        HAProxyMessage header = header(version, source, destination);
        ChannelPipeline pipeline = backend.pipeline();
        pipeline.addFirst(ENCODER, HAProxyMessageEncoder.INSTANCE);
        try {
            backend.write(header, backend.voidPromise());
        } finally {
            pipeline.remove(ENCODER);
        }
    }

    /**
     * The header's message. Source and destination of different families (acceptproxy= may hand lbd an IPv6 client
     * on an IPv4 VIP) are both given as IPv6, the IPv4 one mapped ({@code ::ffff:a.b.c.d}), as HAProxy does.
     */
    static HAProxyMessage header(ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination) {
        boolean ipv4 = source.getAddress() instanceof Inet4Address && destination.getAddress() instanceof Inet4Address;
        return new HAProxyMessage(version == ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, ipv4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                text(source, ipv4), text(destination, ipv4), source.getPort(), destination.getPort());
    }

    private static String text(InetSocketAddress address, boolean ipv4) {
        String text = NetUtil.toAddressString(address.getAddress()); // no IPv6 scope: the header has no room for it
        return ipv4 || !(address.getAddress() instanceof Inet4Address) ? text : "::ffff:" + text;
    }
}
