package lbd.dataplane.nat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import lbd.dataplane.worker.WorkerState;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NAT (masq) data plane: a TCP or UDP proxy on each VIP. One event loop per core (configurable), each with
 * its own listening (TCP) or datagram (UDP) socket on every VIP:port (SO_REUSEPORT, so the kernel spreads new
 * connections and client address:ports over the loops) and its own {@link WorkerState}; an accepted connection
 * and its connection to the real server stay on the loop that accepted it, as a UDP flow and its connected socket
 * to the real server stay on the loop whose VIP socket the client writes to ({@link VipDatagrams}).
 *
 * <p>The control plane (one thread) calls {@link #start}, {@link #bind} and {@link #accept} (or {@link #listen},
 * both at once), {@link #stopListening} and {@link #shutdown}; it publishes tables through the
 * {@link SnapshotPublisher}, which every loop reads on each new connection. A VIP is bound before its table is
 * published (so that a reload whose VIP cannot be bound is refused before anything changes) and accepts only after
 * (so that no client is reset for want of a table): in between the kernel queues its clients.
 */
public final class NatProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NatProxy.class);
    private static final long LISTENER_CLOSE_WAIT_MILLIS = 2_000;

    private final NatSettings settings;
    private final SnapshotPublisher publisher;
    private final String threadName;
    private final boolean logsLifecycle;
    private final Map<VirtualServiceKey, List<Channel>> listeners = new ConcurrentHashMap<>();
    private final Set<VirtualServiceKey> accepting = new HashSet<>(); // guarded by this
    private volatile NettyTransport transport;
    private volatile MultiThreadIoEventLoopGroup group;
    private volatile List<NatLoop> loops = List.of();
    private volatile List<WorkerState> workers = List.of();
    private volatile boolean shutDown;
    // Started on another proxy's event loops (startOn): they are that proxy's to stop, not this one's.
    private volatile boolean borrowedLoops;
    private final ConnectLatencyTotals connectLatency = new ConnectLatencyTotals();
    private final ResourceAlarm resourceAlarm = new ResourceAlarm();
    private final SourceAlarm sourceAlarm = new SourceAlarm();

    /** The proxy of the configured services: threads "lbd-nat-…", its start, VIPs and stop logged at info. */
    public NatProxy(NatSettings settings, SnapshotPublisher publisher) {
        this(settings, publisher, "lbd-nat", true);
    }

    /**
     * A proxy of its own, named {@code threadName}; {@code logsLifecycle} false logs its start, listeners and stop at
     * debug only: a private proxy (the director's warm-up) is no service the operator has to hear of.
     */
    public NatProxy(NatSettings settings, SnapshotPublisher publisher, String threadName, boolean logsLifecycle) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.threadName = Objects.requireNonNull(threadName, "threadName");
        this.logsLifecycle = logsLifecycle;
    }

    /** How this proxy runs. */
    public NatSettings settings() {
        return settings;
    }

    /**
     * Chooses the transport and starts the event loops.
     *
     * @throws IllegalStateException when an explicitly requested transport is unavailable (the message names
     *                               the cause), or when already started
     */
    public synchronized void start() {
        if (group != null || borrowedLoops || shutDown) {
            throw new IllegalStateException("lbd: the NAT proxy was already started");
        }
        NettyTransport chosen = NettyTransport.select(settings.transport());
        int count = settings.effectiveEventLoops();
        MultiThreadIoEventLoopGroup g;
        try {
            g = new MultiThreadIoEventLoopGroup(count, new DefaultThreadFactory(threadName), chosen.ioHandlerFactory());
        } catch (RuntimeException | LinkageError e) {
            // e.g. io_uring rings need locked memory (ulimit -l) that the process may not have.
            throw new IllegalStateException("lbd: cannot start " + count + " " + chosen + " event loops: " + e
                    + "; try transport=epoll or transport=nio", e);
        }
        List<NatLoop> created = new ArrayList<>(count);
        for (EventExecutor executor : g) {
            int index = created.size();
            created.add(new NatLoop(index, count, (EventLoop) executor, new WorkerState(publisher, index, count), chosen,
                    settings.spliceThresholdBytes(), settings.connectionShare(index), settings.pipeShare(index),
                    resourceAlarm, sourceAlarm));
        }
        transport = chosen;
        loops = List.copyOf(created);
        workers = created.stream().map(NatLoop::worker).toList();
        group = g;
        if (logsLifecycle && settings.maxConnections() > 0 && !chosen.acceptsOnlyWhileReading()) {
            LOG.warn("lbd: io_uring's multishot accept is on (-Dio.netty.iouring.acceptMultiShotEnabled=true): the"
                    + " kernel accepts clients past the connection ceiling of {}, which then may find no descriptor"
                    + " for their real server", settings.maxConnections());
        }
        long splice = created.getFirst().spliceThreshold();
        lifecycle("lbd: NAT proxy started: transport {} (transport={} requested), {} event loops, {}", chosen,
                settings.transport().name().toLowerCase(Locale.ROOT), count,
                splice <= 0 ? "no splice" : "zero-copy splice after " + splice + " bytes per direction"
                        + (settings.maxPipes() > 0 ? ", at most " + settings.maxPipes() + " directions at once" : ""));
    }

    /**
     * Starts this proxy on the event loops of {@code host} (started) instead of loops of its own: its own tables,
     * counters, listeners and connections, served by the threads that serve the host's clients — whose per-thread
     * state (Netty's buffer pools and recyclers, handler masks) its connections fill as the host's would. One loop
     * per host loop, on the host's transport; {@link #shutdown} closes this proxy's listeners and waits for its
     * connections, and leaves the loops to the host.
     *
     * @throws IllegalStateException when already started, or when the host is not started
     */
    public synchronized void startOn(NatProxy host) {
        if (group != null || !loops.isEmpty() || shutDown) {
            throw new IllegalStateException("lbd: the NAT proxy was already started");
        }
        NettyTransport chosen = host.requireStarted();
        List<NatLoop> hostLoops = host.loops;
        int count = hostLoops.size();
        if (settings.effectiveEventLoops() != count) {
            throw new IllegalArgumentException("lbd: " + settings.effectiveEventLoops() + " loops asked for, on a"
                    + " proxy of " + count);
        }
        List<NatLoop> created = new ArrayList<>(count);
        for (NatLoop hostLoop : hostLoops) {
            int index = created.size();
            created.add(new NatLoop(index, count, hostLoop.eventLoop(), new WorkerState(publisher, index, count),
                    chosen, settings.spliceThresholdBytes(), settings.connectionShare(index), settings.pipeShare(index),
                    resourceAlarm, sourceAlarm));
        }
        transport = chosen;
        loops = List.copyOf(created);
        workers = created.stream().map(NatLoop::worker).toList();
        borrowedLoops = true;
        lifecycle("lbd: NAT proxy started on the {} event loops of another", count);
    }

    /** The transport in use. */
    public TransportKind transport() {
        NettyTransport t = transport;
        if (t == null) {
            throw new IllegalStateException("lbd: the NAT proxy is not started");
        }
        return t.kind();
    }

    /** {@link #bind} and then {@link #accept}: for a VIP whose table is published already. */
    public synchronized void listen(VirtualServiceKey vip) throws IOException {
        bind(vip);
        accept(vip);
    }

    /**
     * Opens one listening socket per event loop on the VIP:port (a no-op when bound already), which queues
     * clients but does not take them until {@link #accept}. With epoll and io_uring the VIP need not be configured
     * yet (IP_FREEBIND); NIO cannot do that.
     *
     * @throws IOException with a one-line message when a socket cannot be bound (port in use, address absent)
     */
    public synchronized void bind(VirtualServiceKey vip) throws IOException {
        bind(vip, vip);
    }

    /**
     * As {@link #bind(VirtualServiceKey)}, for a VIP:port of {@code service} (its own, or one of its alsolisten=
     * ones): connections accepted there count against the service's maxconns= with those of its other VIP:ports.
     */
    public synchronized void bind(VirtualServiceKey vip, VirtualServiceKey service) throws IOException {
        NettyTransport t = requireStarted();
        if (vip.protocol() == Protocol.FWM) {
            throw new IllegalArgumentException("lbd: the NAT proxy forwards TCP and UDP; cannot listen on " + vip);
        }
        if (listeners.containsKey(vip)) {
            return;
        }
        adopt(vip, service, new int[0]);
    }

    /**
     * As {@link #bind(VirtualServiceKey, VirtualServiceKey)}, taking over {@code fds} first: sockets on this VIP:port
     * that the process before this one bound, listened on and handed over ({@code lbd upgrade}), with the clients
     * in their queues. They are spread over the event loops in turn; loops left without one bind a socket of their
     * own, which joins the same SO_REUSEPORT group. Not accepting until {@link #accept}, as after a bind. On
     * failure every descriptor given is closed.
     */
    public synchronized void adopt(VirtualServiceKey vip, VirtualServiceKey service, int[] fds) throws IOException {
        NettyTransport t = requireStarted();
        if (listeners.containsKey(vip)) {
            for (int fd : fds) {
                closeDescriptor(fd); // listening already: the copies are not needed
            }
            return;
        }
        if (fds.length > 0 && !t.handsOverSockets()) {
            throw new IOException("lbd: transport=" + t + " cannot take over the sockets of " + vip);
        }
        InetSocketAddress address = vip.address().toSocketAddress();
        List<NatLoop> all = loops;
        List<Channel> bound = new ArrayList<>(Math.max(all.size(), fds.length));
        int next = 0;
        try {
            for (; next < fds.length; next++) {
                NatLoop loop = all.get(next % all.size());
                bound.add(vip.protocol() == Protocol.UDP ? datagrams(loop, vip, t, address, fds[next])
                        : listener(loop, vip, service, t, address, fds[next]));
            }
            for (int i = fds.length; i < all.size(); i++) {
                NatLoop loop = all.get(i);
                bound.add(vip.protocol() == Protocol.UDP ? datagrams(loop, vip, t, address, -1)
                        : listener(loop, vip, service, t, address, -1));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(bound);
            for (int i = next; i < fds.length; i++) {
                closeDescriptor(fds[i]);
            }
            throw e;
        }
        listeners.put(vip, List.copyOf(bound));
    }

    /**
     * One loop's listening socket on a TCP VIP: bound here ({@code fd} -1) or the one given (already listening).
     * The VipAcceptor takes every accepted channel, sets its options and registers it (see there); Netty's own
     * acceptor, which ServerBootstrap always adds after it, never sees one.
     */
    private static Channel listener(NatLoop loop, VirtualServiceKey vip, VirtualServiceKey service, NettyTransport t,
            InetSocketAddress address, int fd) throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop.eventLoop(), loop.eventLoop())
                .option(ChannelOption.AUTO_READ, false) // until accept(vip): see AcceptGate
                .handler(new VipAcceptor(loop, vip, loop.load(service)))
                .childHandler(NeverAccepted.INSTANCE);
        ChannelFuture future;
        if (fd >= 0) {
            bootstrap.channelFactory(() -> t.adoptServerChannel(fd));
            future = bootstrap.register().awaitUninterruptibly();
        } else {
            bootstrap.channel(t.serverChannelClass());
            t.applyListenerOptions(bootstrap);
            future = bootstrap.bind(address).awaitUninterruptibly();
        }
        if (!future.isSuccess()) {
            throw new IOException(fd >= 0 ? adoptFailure(vip, future.cause()) : bindFailure(vip, t, future.cause()));
        }
        return future.channel();
    }

    private static String adoptFailure(VirtualServiceKey vip, Throwable cause) {
        return "lbd: cannot take over the socket of " + vip + " handed over by the lbd before: "
                + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }

    /**
     * One loop's datagram socket on a UDP VIP (SO_REUSEPORT; IP_FREEBIND where the transport has it), not reading
     * until {@link #accept}: datagrams wait in its receive queue meanwhile.
     */
    private static Channel datagrams(NatLoop loop, VirtualServiceKey vip, NettyTransport t,
            InetSocketAddress address, int fd) throws IOException {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop.eventLoop())
                .channelFactory(() -> {
                    if (fd >= 0) {
                        return t.adoptDatagramChannel(fd); // bound already, datagrams waiting in its queue
                    }
                    DatagramChannel channel = t.newDatagramChannel(address.getAddress());
                    t.applyDatagramListenerOptions(channel);
                    return channel;
                })
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, UdpFlow.WHOLE_DATAGRAMS)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, UdpFlow.VIP_WATER_MARK)
                .option(ChannelOption.MESSAGE_SIZE_ESTIMATOR, DatagramSizeEstimator.INSTANCE)
                .handler(new VipDatagrams(loop, vip, loop.load(vip)));
        ChannelFuture future = (fd >= 0 ? bootstrap.register() : bootstrap.bind(address)).awaitUninterruptibly();
        if (!future.isSuccess()) {
            throw new IOException(fd >= 0 ? adoptFailure(vip, future.cause()) : bindFailure(vip, t, future.cause()));
        }
        return future.channel();
    }

    /**
     * Starts taking the clients of a bound VIP (a no-op when accepting already): call it once the VIP's table is
     * published. Each loop's listener starts on its own thread, in order after this call.
     *
     * @throws IllegalStateException when the VIP is not bound
     */
    public synchronized void accept(VirtualServiceKey vip) {
        List<Channel> channels = listeners.get(vip);
        if (channels == null) {
            throw new IllegalStateException("lbd: " + vip + " is not bound");
        }
        for (Channel listener : channels) {
            if (vip.protocol() == Protocol.UDP) {
                // Not through the AcceptGate: a UDP socket carries its open flows' datagrams too, so it never
                // pauses; new flows are refused one by one at a cap or a shortage instead (see VipDatagrams).
                listener.eventLoop().execute(() -> listener.config().setAutoRead(true));
                continue;
            }
            AcceptGate gate = loopOf(listener).acceptGate();
            listener.eventLoop().execute(() -> gate.accept(listener));
        }
        if (accepting.add(vip)) {
            lifecycle("lbd: NAT proxy listening on {} ({} sockets, {})", vip, channels.size(), transport);
        }
    }

    /** The loop a listener is registered with (a loop may hold several of a VIP's, after a hand-over). */
    private NatLoop loopOf(Channel listener) {
        for (NatLoop loop : loops) {
            if (loop.eventLoop() == listener.eventLoop()) {
                return loop;
            }
        }
        throw new IllegalStateException("lbd: a listener of no event loop of this proxy");
    }

    /**
     * Any thread: the descriptors of every VIP's sockets — what {@code lbd upgrade} hands to the new process, which
     * then accepts from the same queues. They stay this process's too until it stops listening.
     *
     * @throws IllegalStateException with transport=nio, whose sockets have no descriptor to give
     */
    public synchronized Map<VirtualServiceKey, int[]> listenerDescriptors() {
        NettyTransport t = requireStarted();
        if (!t.handsOverSockets()) {
            throw new IllegalStateException("lbd: transport=nio cannot hand its sockets to another process (the"
                    + " JDK names no descriptor of a channel); use transport=epoll or io_uring, or restart lbd");
        }
        Map<VirtualServiceKey, int[]> all = new java.util.TreeMap<>();
        listeners.forEach((vip, channels) -> all.put(vip,
                channels.stream().mapToInt(NettyTransport::descriptorOf).toArray()));
        return all;
    }

    private static String bindFailure(VirtualServiceKey vip, NettyTransport t, Throwable cause) {
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        String hint = t.supportsFreeBind()
                ? "check that no other program listens on that port"
                : "check that no other program listens on that port and that the address is configured"
                        + " (transport=nio cannot bind an address before it is configured; epoll/io_uring can)";
        return "lbd: cannot listen on " + vip + ": " + reason + "; " + hint;
    }

    /**
     * This process no longer takes new clients on the VIP, because another one takes them from the same sockets
     * ({@code lbd upgrade}): a TCP VIP's listeners close (the sockets and their queues live on in the other
     * process); a UDP VIP's sockets stop reading but stay open until {@link #shutdown}, since the replies of this
     * process's open flows go out through them.
     */
    public synchronized void stopAccepting(VirtualServiceKey vip) {
        if (vip.protocol() != Protocol.UDP) {
            stopListening(vip);
            return;
        }
        List<Channel> channels = listeners.get(vip);
        accepting.remove(vip);
        if (channels != null) {
            for (Channel channel : channels) {
                channel.eventLoop().execute(() -> channel.config().setAutoRead(false));
            }
            lifecycle("lbd: NAT proxy no longer reads new flows on {}; its open flows' replies still go out", vip);
        }
    }

    /** Closes the listening sockets of a VIP; its established connections keep going. */
    public synchronized void stopListening(VirtualServiceKey vip) {
        List<Channel> channels = listeners.remove(vip);
        accepting.remove(vip);
        if (channels != null) {
            closeAll(channels);
            lifecycle("lbd: NAT proxy stopped listening on {}", vip);
        }
    }

    /** One per event loop, for summing counters. */
    public List<WorkerState> workers() {
        return workers;
    }

    /** Any thread: each event loop's accept/schedule/refuse counters, in loop order (empty before start). */
    public List<LoopStats> loopStats() {
        return loops.stream().map(loop -> loop.acceptCounters().read(loop.index())).toList();
    }

    /**
     * Any thread (reads are serialized): the time from starting a connect to a real server until it was
     * established, per service ever listened on, in microseconds since start (copies; see ConnectLatency).
     */
    public Map<VirtualServiceKey, Histogram> connectLatencyMicros() {
        return connectLatency.read(loops);
    }

    /**
     * Bytes moved with zero-copy splice so far, over all loops (0 unless the transport is epoll and
     * {@link NatSettings#spliceThresholdBytes()} is positive). They are counted in the byte counters as well.
     */
    public long splicedBytes() {
        long sum = 0;
        for (NatLoop loop : loops) {
            sum += loop.splicedBytes();
        }
        return sum;
    }

    /**
     * Whether a proxy started with {@code settings} would splice bulk directions on this machine (the transport
     * it would choose is epoll, and splicing is on), and so hold pipes: what the connection ceiling must count.
     * False too when the requested transport is unavailable (starting the proxy then fails and says why).
     */
    public static boolean wouldSplice(NatSettings settings) {
        if (settings.spliceThresholdBytes() <= 0) {
            return false;
        }
        try {
            return NatLoop.canSplice(NettyTransport.select(settings.transport()).kind());
        } catch (IllegalStateException unavailable) {
            return false;
        }
    }

    /** Whether this proxy, started, splices bulk directions (epoll, splicing on). */
    public boolean splices() {
        List<NatLoop> all = loops;
        return !all.isEmpty() && all.getFirst().spliceThreshold() > 0;
    }

    /**
     * Directions splicing now, over all loops: each holds a kernel pipe (two descriptors) until its connection
     * closes; at most {@link NatSettings#maxPipes()} when that is set.
     */
    public int pipesInUse() {
        int sum = 0;
        for (NatLoop loop : loops) {
            sum += loop.pipesInUse();
        }
        return sum;
    }

    /**
     * Any thread: every loop's open connections as IPVS lists them, at most {@code limit} per loop. Each loop
     * describes its own on its thread (a task on its queue, so no connection state is read across threads);
     * a loop that does not answer within {@code wait} is left out, and its connections are counted as not listed.
     */
    public List<ConnectionEntries> connections(int limit, Duration wait) {
        List<NatLoop> all = loops;
        List<io.netty.util.concurrent.Future<ConnectionEntries>> asked = new ArrayList<>(all.size());
        for (NatLoop loop : all) {
            try {
                asked.add(loop.eventLoop().submit(() -> loop.describeConnections(limit)));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                asked.add(null);
            }
        }
        long deadline = System.nanoTime() + wait.toNanos();
        List<ConnectionEntries> answers = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            io.netty.util.concurrent.Future<ConnectionEntries> answer = asked.get(i);
            long left = Math.max(0, deadline - System.nanoTime());
            if (answer != null && answer.awaitUninterruptibly(left, TimeUnit.NANOSECONDS) && answer.isSuccess()) {
                answers.add(answer.getNow());
            } else {
                answers.add(new ConnectionEntries(List.of(), all.get(i).liveConnections()));
            }
        }
        return answers;
    }

    /** Connections not yet fully closed, over all loops. */
    public int openConnections() {
        int sum = 0;
        for (NatLoop loop : loops) {
            sum += loop.liveConnections();
        }
        return sum;
    }

    /** What a stop's drain waits for, over all loops (NatLoop#drainHolding). */
    private int drainHolding() {
        int sum = 0;
        for (NatLoop loop : loops) {
            sum += loop.drainHolding();
        }
        return sum;
    }

    /** {@link #shutdown} with the configured drain timeout. */
    @Override
    public void close() {
        shutdown(settings.drainTimeout());
    }

    /**
     * Stops accepting, lets open connections finish for up to {@code drain} (a UDP flow counts only while its client
     * awaits a reply), then closes whatever is left and
     * stops the event loops. Blocks the caller (the control plane) for at most about drain + a few seconds.
     */
    public synchronized void shutdown(Duration drain) {
        if (shutDown) {
            return;
        }
        shutDown = true;
        MultiThreadIoEventLoopGroup g = group;
        if (g == null && !borrowedLoops) {
            return;
        }
        // TCP listeners close; UDP VIP sockets stop reading but stay open through the drain: the replies of the
        // open flows go out through them (they close with the loops).
        for (VirtualServiceKey vip : List.copyOf(listeners.keySet())) {
            stopAccepting(vip);
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (drainHolding() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = openConnections();
        if (left > 0) {
            lifecycle(g == null ? "lbd: NAT proxy leaves {} connections still open after the {} ms drain to their"
                    + " idle timeout" : "lbd: NAT proxy closing {} connections still open after the {} ms drain",
                    left, drain.toMillis());
        }
        if (g == null) {
            // Another proxy's loops: they go on. A connection left (it would have to be stuck) ends at its table's
            // idle timeout.
            lifecycle("lbd: NAT proxy stopped; its event loops are another's");
            return;
        }
        // Shutting a loop down closes every channel registered with it.
        g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        lifecycle("lbd: NAT proxy stopped");
    }

    private void lifecycle(String format, Object... arguments) {
        if (logsLifecycle) {
            LOG.info(format, arguments);
        } else {
            LOG.debug(format, arguments);
        }
    }

    private NettyTransport requireStarted() {
        NettyTransport t = transport;
        if (t == null) {
            throw new IllegalStateException("lbd: the NAT proxy is not started");
        }
        if (shutDown) {
            throw new IllegalStateException("lbd: the NAT proxy is shut down");
        }
        return t;
    }

    /** A descriptor handed over that no channel took (close(2); a failure leaves nothing to do). */
    private static void closeDescriptor(int fd) {
        try (java.lang.foreign.Arena call = java.lang.foreign.Arena.ofConfined()) {
            lbd.sys.LinuxNative.close(lbd.sys.LinuxNative.newErrnoSegment(call), fd);
        }
    }

    private static void closeAll(List<Channel> channels) {
        for (Channel channel : channels) {
            channel.close().awaitUninterruptibly(LISTENER_CLOSE_WAIT_MILLIS);
        }
    }
}
