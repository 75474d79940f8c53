package lbd.dataplane.nat;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import lbd.config.model.Endpoint;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
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

    /**
     * The read-size predictor of every proxied channel. Netty gives each channel's config one of its own (kept as
     * long as the channel: 2 per idle connection), though it holds only settings: what a channel learns about its
     * reads is in the handle Netty makes from it per channel. At most 16 reads per read(), Netty's default for a
     * socket channel.
     */
    static final RecvByteBufAllocator READ_SIZES = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16);

    /**
     * SO_RCVBUF of each connection to a real server (the kernel doubles it for its bookkeeping: 2 MiB). Fixed,
     * because receive-buffer autotuning would otherwise decide how much of a download lbd holds for a slow client:
     * it grows the buffer from what the application copied within one measured round trip, and on a fast link
     * one coarse sample (loopback timestamps tick in milliseconds) while lbd still reads at full speed grows it
     * to tens of MiB (up to net.ipv4.tcp_rmem's maximum, 32 MiB on some distributions) — which the real server
     * then fills once back-pressure stops the reads. That is what made the slow-reader bound fail now and then,
     * on every transport. 1 MiB still opens a window of about 1 MiB, ample for a real server on the local
     * network (8 Gbit/s at 1 ms round trip). The client's side keeps autotuning: clients may be far away.
     */
    static final int BACKEND_RECEIVE_BUFFER_BYTES = 1 << 20;

    private static final VarHandle LIVE;
    private static final VarHandle ANSWERED_FLOWS;
    private static final VarHandle SPLICED;
    private static final VarHandle PIPES;

    static {
        try {
            LIVE = MethodHandles.lookup().findVarHandle(NatLoop.class, "live", int.class);
            ANSWERED_FLOWS = MethodHandles.lookup().findVarHandle(NatLoop.class, "answeredFlows", int.class);
            SPLICED = MethodHandles.lookup().findVarHandle(NatLoop.class, "splicedBytes", long.class);
            PIPES = MethodHandles.lookup().findVarHandle(NatLoop.class, "pipes", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int index;
    private final int loopCount;
    private final EventLoop eventLoop;
    private final WorkerState worker;
    // Channels to real servers: IPv6-capable, and (epoll) IPv4-only ones for IPv4 real servers.
    private final ChannelFactory<? extends Channel> backendChannels;
    private final ChannelFactory<? extends Channel> backendChannels4;
    private final Map<VirtualServiceKey, ServiceLoad> loads = new ConcurrentHashMap<>();
    private final Map<Endpoint, InetSocketAddress> addresses = new HashMap<>();
    private final Map<InetAddress, InetSocketAddress> sourceAddresses = new HashMap<>();
    private final long spliceThreshold;
    private final SocketQueues socketQueues = new SocketQueues();
    private final AcceptCounters acceptCounters = new AcceptCounters();
    private final AcceptGate acceptGate;
    private final ProxyHeaderRejections proxyHeaderRejections = new ProxyHeaderRejections(acceptCounters);
    private final int connectionShare; // of the ceiling (maxconn); 0 = none
    private final int pipeShare; // of the splicing directions (maxPipes); 0 = no limit
    private final DestinationChoice choice = new DestinationChoice();
    private final NettyTransport transport;
    private final ResourceAlarm alarm;
    private final SourceAlarm sourceAlarm;
    private SourceSockets sourceSockets; // created at the first connect from a chosen source
    private int live;
    /**
     * UDP flows of this loop (counted in {@link #live} too) whose last datagram from the client has had its reply: a
     * stop's drain does not wait for them (see {@link #drainHolding}).
     */
    private int answeredFlows;
    private long splicedBytes;
    // Splicing directions of the loop's open connections: each holds a kernel pipe until its connection closes.
    private int pipes;
    // The loop's open connections, threaded through the connections themselves (no node per connection), for
    // the connection listing (lbadm -Lc), which walks them on this thread.
    private ProxiedConnection newest;
    // The loop's sockets on UDP VIPs, whose flows the listing walks too.
    private final List<VipDatagrams> datagramSockets = new ArrayList<>();

    NatLoop(int index, int loopCount, EventLoop eventLoop, WorkerState worker, NettyTransport transport,
            long spliceThresholdBytes, int connectionShare, int pipeShare, ResourceAlarm alarm,
            SourceAlarm sourceAlarm) {
        this.index = index;
        this.connectionShare = connectionShare;
        this.pipeShare = pipeShare;
        this.loopCount = loopCount;
        this.eventLoop = eventLoop;
        this.worker = worker;
        this.acceptGate = new AcceptGate(eventLoop, acceptCounters, alarm);
        this.transport = transport;
        this.alarm = alarm;
        this.sourceAlarm = sourceAlarm;
        // The connection to a real server lives on the same loop as the client's: no cross-thread hand-off.
        boolean epoll = transport.kind() == TransportKind.EPOLL;
        this.backendChannels = epoll
                ? () -> pinned(new EpollSocketChannel())
                : new ReflectiveChannelFactory<>(transport.socketChannelClass());
        // An IPv4 socket for an IPv4 real server: a dual-stack (IPv6) socket costs a setsockopt(IPV6_V6ONLY) more.
        // (Netty's io_uring channel has no constructor that takes a family.)
        this.backendChannels4 = switch (transport.kind()) {
            case EPOLL -> () -> pinned(new EpollSocketChannel(SocketProtocolFamily.INET));
            case NIO -> () -> new NioSocketChannel(SelectorProvider.provider(), SocketProtocolFamily.INET);
            case IO_URING -> backendChannels;
        };
        this.spliceThreshold = canSplice(transport.kind()) ? spliceThresholdBytes : 0;
    }

    /** Whether a loop on {@code kind} splices bulk directions here: epoll, with FIONREAD and the half-close pin. */
    static boolean canSplice(TransportKind kind) {
        return kind == TransportKind.EPOLL && SocketQueues.available() && EpollInterestPin.available();
    }

    /**
     * A new epoll channel to a real server, pinned before it is registered (see {@link EpollInterestPin}), so
     * that the EPOLL_CTL_ADD of its connect already carries the pin.
     */
    private static EpollSocketChannel pinned(EpollSocketChannel channel) {
        EpollInterestPin.pin(channel);
        return channel;
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

    /** Loop thread: the scratch object every choice of a real server on this loop is made in (see there). */
    DestinationChoice choice() {
        return choice;
    }

    NettyTransport transport() {
        return transport;
    }

    /**
     * Loop thread: the socket for a UDP flow to {@code to} could not be created (descriptors or memory ran out).
     * Counted and logged once per interval; the datagram is dropped. The VIP's datagram socket keeps reading,
     * since the flows it has still need their client's datagrams.
     */
    void flowSocketFailed(RuntimeException cause, Endpoint to) {
        ResourceShortage shortage = ResourceShortage.of(cause);
        if (shortage != null) {
            acceptCounters.outOfResources();
        }
        alarm.flowSocketFailed(shortage, cause, "socket for a UDP flow to real server " + to);
    }

    /**
     * Loop thread: whether a new UDP flow may open, the loop's connections and flows below its share of the
     * connection ceiling (maxconn); if not, says so (once per interval for the process).
     */
    boolean roomForFlow() {
        if (connectionShare > 0 && live >= connectionShare) {
            alarm.flowRefusedAtCeiling(live, connectionShare);
            return false;
        }
        return true;
    }

    /** Control plane, when it starts listening on a service: the loop's cap share survives stop/listen. */
    ServiceLoad load(VirtualServiceKey key) {
        return loads.computeIfAbsent(key, k -> new ServiceLoad(k, index, loopCount));
    }

    /** The process's log lines about connects from a chosen source that failed (any loop thread). */
    SourceAlarm sourceAlarm() {
        return sourceAlarm;
    }

    /** Written by the loop thread (VipAcceptor), read by anyone. */
    AcceptCounters acceptCounters() {
        return acceptCounters;
    }

    /** Loop thread: clients of acceptproxy=yes services closed for their PROXY header (see there). */
    ProxyHeaderRejections proxyHeaderRejections() {
        return proxyHeaderRejections;
    }

    /** Loop thread: whether the loop's listeners take connections now (see there). */
    AcceptGate acceptGate() {
        return acceptGate;
    }

    /**
     * Loop thread: the socket for a connection to {@code to} could not be created (descriptors or memory ran
     * out); the listeners pause so that no more clients are taken in only to be reset.
     */
    void backendSocketFailed(RuntimeException cause, Endpoint to) {
        acceptGate.failed(cause, "socket for a connection to real server " + to);
    }

    /** Any thread: the connect-latency recorder of every service this loop has listened on. */
    void forEachConnectLatency(BiConsumer<VirtualServiceKey, ConnectLatency> action) {
        loads.forEach((key, load) -> action.accept(key, load.connectLatency()));
    }

    /**
     * Loop thread: a new channel to a real server, with {@code handler} as its only handler, registered with this
     * loop and connecting to {@code to}; the returned future completes when the connect does. What a Bootstrap
     * would do, without its per-connect work: a copy of its option map, options applied one by one through the
     * generic setOption, an address resolver lookup, and the connect handed to the loop as a task.
     *
     * <p>No TCP_NODELAY: every transport's channel config sets it already (Netty 4.2 on Linux). No connect
     * timeout either: Netty would schedule a timer task per connect for it; the {@link ProxiedConnection} keeps
     * the deadline on the one timer it has anyway (see there).
     *
     * <p>The connection comes from the address of {@code from} (null: the kernel
     * chooses) with a port the kernel picks for the four-tuple (IP_BIND_ADDRESS_NO_PORT; {@code from}'s port is 0);
     * {@code transparent}: {@code from} is another host's (the client's) — see {@link SourceSockets}. When the
     * socket cannot be given those options, the returned future fails with {@link SourceSockets.OptionFailed}.
     */
    ChannelFuture connect(ChannelHandler handler, InetSocketAddress to, InetSocketAddress from, boolean transparent) {
        Channel channel = (to.getAddress() instanceof Inet4Address ? backendChannels4 : backendChannels).newChannel();
        SocketChannelConfig config = (SocketChannelConfig) channel.config();
        config.setConnectTimeoutMillis(0);
        config.setReceiveBufferSize(BACKEND_RECEIVE_BUFFER_BYTES);
        config.setAutoRead(false);
        config.setAllowHalfClosure(true);
        config.setWriteBufferWaterMark(WATER_MARK);
        config.setMessageSizeEstimator(SpliceAwareSizeEstimator.INSTANCE);
        config.setRecvByteBufAllocator(READ_SIZES);
        EpollInterestPin.pinFirstRead(channel); // after AUTO_READ=false, which clears it
        int optionFailure = from == null ? 0 : sourceSockets().prepare(channel, transparent);
        channel.pipeline().addLast(handler);
        ChannelFuture registered = eventLoop.register(channel);
        if (registered.isDone()) { // the usual case: registered synchronously on the loop's thread
            if (!registered.isSuccess()) {
                channel.unsafe().closeForcibly();
                return registered;
            }
            if (optionFailure != 0) {
                channel.close();
                return channel.newFailedFuture(new SourceSockets.OptionFailed(optionFailure));
            }
            return from == null ? channel.connect(to) : channel.connect(to, from);
        }
        ChannelPromise connected = channel.newPromise();
        registered.addListener((ChannelFutureListener) r -> {
            if (!r.isSuccess()) {
                channel.unsafe().closeForcibly();
                connected.setFailure(r.cause());
            } else if (optionFailure != 0) {
                channel.close();
                connected.setFailure(new SourceSockets.OptionFailed(optionFailure));
            } else if (from == null) {
                channel.connect(to, connected);
            } else {
                channel.connect(to, from, connected);
            }
        });
        return connected;
    }

    /** Loop thread: this loop's socket preparation for a chosen source (see there). */
    SourceSockets sourceSockets() {
        if (sourceSockets == null) {
            sourceSockets = new SourceSockets();
        }
        return sourceSockets;
    }

    /**
     * Loop thread: the socket address of a real server, created once per endpoint. computeIfAbsent rather than a get
     * and a miss branch of its own: a real service's first connection on a loop misses long after the warm-up's did
     * (in its first, unprofiled calls), so the JIT would have compiled such a branch as never taken and deoptimized
     * the connect path then; computeIfAbsent's profile, shared by all its callers, has both cases.
     */
    InetSocketAddress socketAddress(Endpoint endpoint) {
        return addresses.computeIfAbsent(endpoint, Endpoint::toSocketAddress);
    }

    /** Loop thread: a sourceaddress= entry as the socket address to bind (port 0), created once per address. */
    InetSocketAddress sourceAddress(InetAddress address) {
        return sourceAddresses.computeIfAbsent(address, NatLoop::unboundPort);
    }

    private static InetSocketAddress unboundPort(InetAddress address) {
        return new InetSocketAddress(address, 0);
    }

    /** Loop thread: a client was accepted; at the loop's share of the ceiling its listeners stop (see AcceptGate). */
    void connectionOpened(ProxiedConnection connection) {
        link(connection);
        connectionOpened();
    }

    /** Loop thread: {@code connection} is listed among the loop's open ones (already counted as opened). */
    void link(ProxiedConnection connection) {
        connection.linkAfter(newest);
        newest = connection;
    }

    /**
     * Loop thread: a client was accepted whose connection object comes later (acceptproxy=yes: once its PROXY
     * header is read, then {@link #link}), or a UDP flow: counted against the ceiling only.
     */
    void connectionOpened() {
        int open = live + 1;
        LIVE.setRelease(this, open);
        if (open >= connectionShare && connectionShare > 0) {
            acceptGate.full(open, connectionShare);
        }
    }

    /** Loop thread: a connection is gone, both its descriptors closed; below the share the listeners start again. */
    void connectionClosed(ProxiedConnection connection) {
        if (newest == connection) {
            newest = connection.older();
        }
        connection.unlink();
        connectionClosed();
    }

    /** Loop thread: a client counted by {@link #connectionOpened()} is gone without a listed connection. */
    void connectionClosed() {
        int open = live - 1;
        LIVE.setRelease(this, open);
        if (open < connectionShare) {
            acceptGate.roomAgain();
        }
    }

    /**
     * Loop thread: the loop's open connections as IPVS lists them, newest first, at most {@code limit} of them
     * (the listing's bound: it allocates an entry per connection listed).
     */
    ConnectionEntries describeConnections(int limit) {
        long now = System.nanoTime();
        List<ConnectionEntry> listed = new ArrayList<>(Math.min(limit, live));
        for (ProxiedConnection c = newest; c != null && listed.size() < limit; c = c.older()) {
            ConnectionEntry entry = c.describe(now);
            if (entry != null) {
                listed.add(entry);
            }
        }
        for (VipDatagrams socket : datagramSockets) {
            socket.describeFlows(listed, limit, now);
        }
        return new ConnectionEntries(listed, live);
    }

    /** Loop thread: a socket of this loop on a UDP VIP is open (its flows are listed with the connections). */
    void datagramSocketOpened(VipDatagrams socket) {
        datagramSockets.add(socket);
    }

    /** Loop thread: that socket closed. */
    void datagramSocketClosed(VipDatagrams socket) {
        datagramSockets.remove(socket);
    }

    /** Any thread: connections of this loop not yet fully closed. */
    int liveConnections() {
        return (int) LIVE.getAcquire(this);
    }

    /** Loop thread: one more ({@code +1}) or one fewer ({@code -1}) UDP flow whose client has had its reply. */
    void answeredFlows(int change) {
        ANSWERED_FLOWS.setRelease(this, answeredFlows + change);
    }

    /**
     * Any thread: what a stop's drain waits for on this loop — every TCP connection, and a UDP flow only while a
     * datagram of its client awaits the real server's reply. A flow that has its reply has nothing in flight (its
     * next datagram would find no VIP socket reading), and it would otherwise hold every stop for the whole drain,
     * since a flow lives for the udp timeout (300 s).
     */
    int drainHolding() {
        return (int) LIVE.getAcquire(this) - (int) ANSWERED_FLOWS.getAcquire(this);
    }

    /**
     * After how many bytes through user space one direction of a connection switches to splice; 0 when this
     * loop never splices (not epoll, splicing off, or FIONREAD unreachable).
     */
    long spliceThreshold() {
        return spliceThreshold;
    }

    /** Loop thread: bytes written to a socket and not yet acknowledged by its peer, -1 when unknown. */
    int unsentBytes(int fd) {
        return socketQueues.unsentBytes(fd);
    }

    /** Loop thread: bytes waiting in a socket's receive queue, -1 when unknown. */
    int queuedBytes(int fd) {
        return socketQueues.queuedBytes(fd);
    }

    /** Loop thread: a splice chunk of this many bytes was issued. */
    void spliced(int bytes) {
        SPLICED.setRelease(this, splicedBytes + bytes);
    }

    /** Any thread: bytes this loop moved with splice (they are also in the destinations' byte counters). */
    long splicedBytes() {
        return (long) SPLICED.getAcquire(this);
    }

    /**
     * Loop thread: a direction is about to splice, which makes Netty create a kernel pipe for it (on its target
     * channel) that lives until the connection closes. False, and the direction stays on the copy path, while
     * the loop's splicing directions hold its share of the pipes: beyond it a pipe would take descriptors the
     * connection ceiling keeps for connections, or (for an unprivileged user past fs.pipe-user-pages-soft) come
     * with 2 pages instead of 16, which splices slower than copying.
     */
    boolean takePipe() {
        int held = pipes;
        if (pipeShare > 0 && held >= pipeShare) {
            alarm.pipesExhausted(held);
            return false;
        }
        PIPES.setRelease(this, held + 1);
        return true;
    }

    /** Loop thread: a connection whose {@code count} directions spliced has closed, and their pipes with it. */
    void pipesClosed(int count) {
        PIPES.setRelease(this, pipes - count);
    }

    /** Any thread: the pipes this loop's splicing directions hold. */
    int pipesInUse() {
        return (int) PIPES.getAcquire(this);
    }
}
