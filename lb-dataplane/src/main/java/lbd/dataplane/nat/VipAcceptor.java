package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannelConfig;
import java.net.InetSocketAddress;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.worker.ServiceSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits each connection accepted by one loop's listener on one VIP: looks the service up in the loop's
 * {@link lbd.dataplane.worker.WorkerState}, applies the loop's share of the connection cap, chooses a real
 * server, and registers the accepted channel with the {@link ProxiedConnection} (which also keeps the idle
 * timeout) as its only handler. A client that cannot be served is reset at once.
 *
 * <p>It sits in the listener's pipeline and takes each accepted channel before Netty's own acceptor would (which
 * then never sees one): instead of a ChannelInitializer per connection (a handler context added and removed
 * again, a pending-handler task, a concurrent set entry) and the acceptor's per-child work (options applied one by
 * one through the generic setOption, a listener object per registration), the options are set directly and the
 * registration, synchronous on the loop's own thread, is only listened to if it is not done at once. On epoll it
 * also pins the channel's interest set before registration ({@link EpollInterestPin}), so that the EPOLL_CTL_ADD
 * carries the pin.
 */
final class VipAcceptor extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(VipAcceptor.class);

    /** Closes an accepted channel whose registration failed (rare: the loop is shutting down), and forgets it. */
    private static final ChannelFutureListener CLOSE_UNREGISTERED = f -> {
        if (!f.isSuccess()) {
            LOG.debug("lbd: could not register an accepted connection: {}", f.cause().toString());
            f.channel().unsafe().closeForcibly();
            if (f.channel().pipeline().last() instanceof ProxiedConnection connection) {
                connection.notRegistered();
            } else if (f.channel().pipeline().last() instanceof ProxyHeaderReader reader) {
                reader.notRegistered();
            }
        }
    };

    private final NatLoop loop;
    private final VirtualServiceKey service;
    private final ServiceLoad load;

    VipAcceptor(NatLoop loop, VirtualServiceKey service, ServiceLoad load) {
        this.loop = loop;
        this.service = service;
        this.load = load;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel client)) {
            ctx.fireChannelRead(msg);
            return;
        }
        loop.acceptCounters().accepted();
        ServiceSlot slot = loop.worker().service(service);
        boolean acceptProxy = slot != null && slot.table().nat().acceptProxy();
        ProxiedConnection connection = null;
        if (!acceptProxy) {
            // Scheduled at once on the socket's own peer address; with acceptproxy=yes once the header names it.
            connection = admit(client, client.remoteAddress() instanceof InetSocketAddress a ? a : null, null);
            if (connection == null) {
                refuse(client);
                return;
            }
        }
        SocketChannelConfig config = (SocketChannelConfig) client.config();
        config.setAutoRead(false);
        config.setAllowHalfClosure(true);
        config.setWriteBufferWaterMark(NatLoop.WATER_MARK);
        config.setMessageSizeEstimator(SpliceAwareSizeEstimator.INSTANCE);
        config.setRecvByteBufAllocator(NatLoop.READ_SIZES);
        // No TCP_NODELAY: every transport's channel config sets it already (Netty 4.2 on Linux).
        EpollInterestPin.pin(client);
        if (connection != null) {
            loop.connectionOpened(connection);
            client.pipeline().addLast(connection); // which also keeps the idle timeout (see there)
        } else {
            loop.connectionOpened(); // listed once its PROXY header has made it a connection
            client.pipeline().addLast(ProxyHeaderReader.decoder(), new ProxyHeaderReader(this, loop));
        }
        ChannelFuture registered = loop.eventLoop().register(client);
        if (!registered.isDone() || !registered.isSuccess()) {
            registered.addListener(CLOSE_UNREGISTERED);
        }
    }

    /**
     * An accept failed: handled here, never passed on (Netty's own acceptor would log it at the pipeline's tail
     * and pause for a second). Running out of descriptors or memory pauses the loop's listeners for a moment and
     * is logged once per interval ({@link AcceptGate}).
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        loop.acceptGate().failed(cause, "accept on " + service);
    }

    /**
     * Loop thread: the connection for a just-accepted client whose address is {@code clientAddress} (and, from an
     * upstream's PROXY header, the address it connected to, {@code vipAddress}; else null), counted as scheduled;
     * null (counted as refused) when none.
     */
    ProxiedConnection admit(Channel client, InetSocketAddress clientAddress, InetSocketAddress vipAddress) {
        AcceptCounters counters = loop.acceptCounters();
        ServiceSlot slot = loop.worker().service(service);
        if (slot == null) {
            // The service left the table; its listener is about to close.
            counters.refused();
            return null;
        }
        ServiceTable table = slot.table();
        if (!load.tryAdmit(table.maxConnections())) {
            counters.refused();
            return null;
        }
        ProxiedConnection connection = ProxiedConnection.schedule(loop, service, load, slot, client, clientAddress,
                vipAddress);
        if (connection == null) {
            counters.refused();
            load.release();
            if (LOG.isDebugEnabled()) {
                LOG.debug("lbd: {}: no real server available and no fallback; resetting {}", service,
                        clientAddress);
            }
            return null;
        }
        counters.scheduled();
        return connection;
    }

    /** Loop thread: a client of this acceptproxy=yes service is closed for its PROXY header. */
    void proxyHeaderRejected(java.net.SocketAddress from, String reason) {
        loop.proxyHeaderRejections().rejected(service, from, reason);
    }

    /** Resets a client that is not registered with any loop: SO_LINGER 0, then close its socket directly. */
    private static void refuse(Channel client) {
        try {
            client.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException e) {
            LOG.debug("lbd: could not set SO_LINGER on a refused connection: {}", e.toString());
        }
        client.unsafe().closeForcibly();
    }
}
