package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * acceptproxy=yes: the first handler of a client's channel, behind Netty's {@link HAProxyMessageDecoder}, until the
 * PROXY header an upstream L4 hop (HAProxy {@code send-proxy}, another lbd, a cloud load balancer) sent first has
 * been read. The header's source is then the client's address for everything lbd does — scheduling (sh and mh hash
 * it), persistence, logs, and the header lbd sends on — and this handler gives way to the connection's
 * {@link ProxiedConnection}; bytes the client sent after the header reach it as early data.
 *
 * <p>Never blocks the loop: the decoder reads what arrives and waits for more. Bounded in bytes (a v1 line is at
 * most 108 bytes, a v2 header at most {@link #MAX_V2_HEADER_BYTES}: the decoder fails beyond) and in time
 * ({@link #TIMEOUT_SECONDS} from the accept: a client that trickles its header, a slowloris, is closed). A malformed,
 * absent (other bytes first) or late header, or a client that closes before sending one, closes that connection
 * with a reset, counted and logged at most once per interval ({@link ProxyHeaderRejections}); nothing else is
 * affected. A LOCAL (v2) or UNKNOWN (v1) header — the upstream's own connection, e.g. its health check — leaves
 * the connection's own addresses in place, as the spec says.
 */
final class ProxyHeaderReader extends ChannelInboundHandlerAdapter implements Runnable {

    /** TLV bytes accepted after a v2 header's addresses (AWS, GCP and HAProxy send some); the decoder fails beyond. */
    static final int MAX_TLV_BYTES = 1024;
    /** The largest v2 header read: 16 bytes of header, the largest address block (216 bytes), the TLVs. */
    static final int MAX_V2_HEADER_BYTES = 16 + 216 + MAX_TLV_BYTES;
    /** How long a client has from the accept to send its whole header. */
    static final long TIMEOUT_SECONDS = 5;

    private final VipAcceptor acceptor;
    private final NatLoop loop;
    private ScheduledFuture<?> timer;
    private Channel client;
    private boolean done;

    ProxyHeaderReader(VipAcceptor acceptor, NatLoop loop) {
        this.acceptor = acceptor;
        this.loop = loop;
    }

    /** A new decoder for one client's channel (it keeps the bytes of a partial header). */
    static HAProxyMessageDecoder decoder() {
        return new HAProxyMessageDecoder(MAX_TLV_BYTES);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        timer = loop.eventLoop().schedule(this, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof HAProxyMessage header)) {
            ReferenceCountUtil.release(msg); // (nothing else comes before the header: the decoder holds it)
            return;
        }
        Verdict verdict;
        try {
            verdict = verdict(header, (InetSocketAddress) ctx.channel().remoteAddress());
        } finally {
            header.release();
        }
        if (verdict.reason() != null) {
            reject(ctx.channel(), verdict.reason());
        } else {
            admit(ctx, verdict.client(), verdict.vip());
        }
    }

    /**
     * What a decoded header means for a client whose socket peer is {@code peer}: its address and the address it
     * connected to ({@code vip}, null for the socket's own), or the {@code reason} it is refused.
     */
    record Verdict(InetSocketAddress client, InetSocketAddress vip, String reason) {
    }

    /** The meaning of a decoded header (any header Netty's decoder returns; never throws). */
    static Verdict verdict(HAProxyMessage header, InetSocketAddress peer) {
        if (header.command() == HAProxyCommand.LOCAL || header.proxiedProtocol() == HAProxyProxiedProtocol.UNKNOWN) {
            return new Verdict(peer, null, null); // the upstream's own connection: its own addresses stand
        }
        if (header.proxiedProtocol() != HAProxyProxiedProtocol.TCP4
                && header.proxiedProtocol() != HAProxyProxiedProtocol.TCP6) {
            return new Verdict(null, null, "the PROXY header is for " + header.proxiedProtocol() + ", not TCP");
        }
        InetSocketAddress client = address(header.sourceAddress(), header.sourcePort());
        InetSocketAddress vip = address(header.destinationAddress(), header.destinationPort());
        if (client == null || vip == null) {
            return new Verdict(null, null, "the PROXY header's addresses are not IP addresses");
        }
        return new Verdict(client, vip, null);
    }

    private static InetSocketAddress address(String text, int port) {
        InetAddress address = text == null ? null : NetUtil.createInetAddressFromIpAddressString(text); // no lookup
        return address == null || port < 0 || port > 65535 ? null : new InetSocketAddress(address, port);
    }

    /** Schedules the connection with the header's addresses and hands the channel over to it. */
    private void admit(ChannelHandlerContext ctx, InetSocketAddress clientAddress, InetSocketAddress vipAddress) {
        done = true;
        cancelTimer();
        ProxiedConnection connection = acceptor.admit(ctx.channel(), clientAddress, vipAddress);
        if (connection == null) {
            ProxiedConnection.abort(ctx.channel());
            loop.connectionClosed();
            return;
        }
        loop.link(connection); // counted at the accept; from now on it closes as a listed connection
        ctx.pipeline().replace(this, null, connection);
        connection.clientReady();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!done) {
            ctx.read(); // the rest of the header
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!done) {
            Throwable reason = cause.getCause() != null ? cause.getCause() : cause; // DecoderException(the decoder's)
            reject(ctx.channel(), "malformed PROXY header: " + reason.getMessage());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            reject(ctx.channel(), "closed before sending a whole PROXY header");
        }
    }

    /** The timer: the header is not complete in time. */
    @Override
    public void run() {
        timer = null;
        if (!done) {
            reject(client, "no whole PROXY header within " + TIMEOUT_SECONDS + " s");
        }
    }

    /** Registration failed (the loop is shutting down): nothing to log. */
    void notRegistered() {
        if (!done) {
            done = true;
            loop.connectionClosed();
        }
    }

    private void reject(Channel channel, String reason) {
        done = true;
        cancelTimer();
        acceptor.proxyHeaderRejected(channel.remoteAddress(), reason);
        ProxiedConnection.abort(channel);
        loop.connectionClosed();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
