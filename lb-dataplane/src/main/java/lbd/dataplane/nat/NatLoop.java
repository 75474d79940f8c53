package lbd.dataplane.nat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import lbd.config.model.Endpoint;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.worker.WorkerState;

/**
 * Everything one event loop owns: its {@link WorkerState} (tables, schedulers, counters), its share of each
 * service's connection cap, and the bootstrap its connections to real servers are made with. Apart from
 * {@link #liveConnections()} and {@link #load} (created by the control plane when it starts listening), only
 * the loop's thread touches it.
 */
final class NatLoop {

    /** Bounds what a proxied connection buffers in user space per direction before it stops reading. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    private static final VarHandle LIVE;

    static {
        try {
            LIVE = MethodHandles.lookup().findVarHandle(NatLoop.class, "live", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int index;
    private final int loopCount;
    private final EventLoop eventLoop;
    private final WorkerState worker;
    private final Bootstrap backendBootstrap;
    private final Map<VirtualServiceKey, ServiceLoad> loads = new ConcurrentHashMap<>();
    private final Map<Endpoint, InetSocketAddress> addresses = new HashMap<>();
    private int live;

    NatLoop(int index, int loopCount, EventLoop eventLoop, WorkerState worker, NettyTransport transport) {
        this.index = index;
        this.loopCount = loopCount;
        this.eventLoop = eventLoop;
        this.worker = worker;
        // The connection to a real server lives on the same loop as the client's: no cross-thread hand-off.
        this.backendBootstrap = new Bootstrap()
                .group(eventLoop)
                .channel(transport.socketChannelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
    }

    int index() {
        return index;
    }

    EventLoop eventLoop() {
        return eventLoop;
    }

    WorkerState worker() {
        return worker;
    }

    /** Control plane, when it starts listening on a service: the loop's cap share survives stop/listen. */
    ServiceLoad load(VirtualServiceKey key) {
        return loads.computeIfAbsent(key, k -> new ServiceLoad(k, index, loopCount));
    }

    /**
     * Loop thread: the bootstrap for one connect. It is reused for every connect of this loop (connect() reads
     * its handler and options synchronously), which saves a bootstrap per connection.
     */
    Bootstrap backendBootstrap(ChannelHandler handler, Duration connectTimeout) {
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        return backendBootstrap.handler(handler).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, millis);
    }

    /** Loop thread: the socket address of a real server, created once per endpoint. */
    InetSocketAddress socketAddress(Endpoint endpoint) {
        InetSocketAddress address = addresses.get(endpoint);
        if (address == null) {
            address = endpoint.toSocketAddress();
            addresses.put(endpoint, address);
        }
        return address;
    }

    /** Loop thread. */
    void connectionOpened() {
        LIVE.setRelease(this, live + 1);
    }

    /** Loop thread. */
    void connectionClosed() {
        LIVE.setRelease(this, live - 1);
    }

    /** Any thread: connections of this loop not yet fully closed. */
    int liveConnections() {
        return (int) LIVE.getAcquire(this);
    }
}
