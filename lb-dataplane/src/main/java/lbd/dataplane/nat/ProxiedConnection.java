package lbd.dataplane.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.worker.ServiceSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied TCP connection: the client's channel, the channel to the chosen real server, and the IPVS-like
 * state of the pair. The same instance is the handler of both channels (hence {@code @Sharable}); both live on
 * one event loop, so no field needs more than plain access.
 *
 * <p>Counters follow IPVS: scheduled (InActConn) when a real server is chosen, established (ActiveConn) when
 * the connection to it is up, closing (InActConn) on the first FIN or RST from either side or on idle expiry,
 * gone when both channels are closed. Bytes and "packets" are counted per read: one read is counted as one
 * packet, which undercounts the segments of a bulk transfer (a read may gather several) — the closest a
 * socket-level proxy gets.
 *
 * <p>Back-pressure: neither channel reads on its own (AUTO_READ off); after forwarding a read, the next one is
 * requested only while the other channel is writable (below its high water mark), else when it becomes
 * writable again. So each direction buffers at most one read above the water mark in user space.
 *
 * <p>Data (and a FIN) that the transport reads from the client before the real server is connected are held
 * and passed on once it is, so a client that sends its request and FIN at once is served, also after a retry.
 *
 * <p>Half-close passes through (ALLOW_HALF_CLOSURE): a FIN from one side becomes shutdownOutput on the other
 * once its pending writes are flushed; when both sides have sent FIN, both channels are closed. A reset or
 * I/O error on one side closes the other with SO_LINGER 0, so it sees a RST too. On io_uring, a reset Netty's read
 * loop would lose is taken from the socket after each read round ({@link IoUringResetCheck}).
 *
 * <p>Bulk: on epoll, once one direction has carried {@link NatLoop#spliceThreshold()} bytes through user space,
 * a {@link SplicePump} takes over that direction's reads and moves what the kernel already holds with zero-copy
 * splice; everything above (counters, back-pressure, FIN, RST) keeps its meaning — see there.
 */
@ChannelHandler.Sharable
final class ProxiedConnection extends ChannelInboundHandlerAdapter implements ChannelFutureListener, Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ProxiedConnection.class);

    private static final int CONNECTING = 0;
    private static final int ESTABLISHED = 1;
    private static final int CLOSING = 2;
    private static final int GONE = 3;

    /**
     * After the pending writes are flushed, pass a FIN on. Stateless: shared by every connection, which it finds
     * as the last handler of the channel's pipeline (both pipelines end with it).
     */
    private static final ChannelFutureListener SHUTDOWN_OUTPUT = future -> {
        Channel channel = future.channel();
        if (future.isSuccess() && channel.isActive()) {
            shutdownOutput((DuplexChannel) channel);
            if (channel.pipeline().last() instanceof ProxiedConnection connection) {
                connection.outputShut(channel);
            }
        } else if (channel.isOpen()) {
            channel.close(); // (Netty makes an exception object on every close(), also of a closed channel)
        }
    };

    private final NatLoop loop;
    private final VirtualServiceKey service;
    private final ServiceLoad load;
    private final Channel client;
    // The client's address for everything lbd does (scheduling, persistence, logs, the PROXY header): the
    // client socket's peer, or the source of the PROXY header an upstream hop sent (acceptproxy=yes).
    private final InetSocketAddress clientAddress;
    // The address the client connected to, for the PROXY header: the upstream header's destination, or null for
    // the client socket's own local address (the VIP).
    private final InetSocketAddress vipAddress;
    // proxyprotocol= of the service when the connection was scheduled.
    private final ProxyProtocol proxyProtocol;
    // transparent=yes when the connection was scheduled: real servers are connected from the client's address.
    private final boolean transparent;
    // sourceaddress= when the connection was scheduled: the director's addresses to connect from (empty: the
    // kernel's choice).
    private final List<InetAddress> sources;
    // The entry of sources in use (-1 before the first connect), and how many entries were tried towards the
    // current destination: a connect that finds no free port moves on to the next entry, each tried once.
    private int sourceIndex = -1;
    private int sourcesTried;
    // The address the current attempt is bound to (port 0), or null for the kernel's choice.
    private InetSocketAddress source;
    // transparent=yes: the client's address with port 0, made at the first connect and kept for a retry.
    private InetSocketAddress clientSource;
    private Channel backend;
    // What the client sent before the real server was connected (the transport may read on a FIN even with
    // AUTO_READ off); written to the real server once connected, or released.
    private ByteBuf early;

    // The current destination (changes on a retry or a fallback).
    private RealServerKey destination;
    private Endpoint destinationAddress;
    private DestinationCounters counters;
    private Duration connectTimeout;
    private boolean onFallback;
    private boolean retried;
    // The persistence template that sent this connection where it is (a persistent service's first choice).
    private PersistenceTemplates templates;
    private long templateHandle = PersistenceTemplates.NO_TEMPLATE;

    private int state = CONNECTING;
    private boolean clientInputShut;
    private boolean backendInputShut;
    private boolean clientClosed;
    private boolean backendClosed;
    // lbd has passed the other side's FIN on to this channel (shutdownOutput done).
    private boolean clientOutputShut;
    private boolean backendOutputShut;
    // Set when lbd itself closes both sides (both FINs seen, idle): a channel going inactive is then no abort.
    private boolean finishing;

    // Splice (epoll only): bytes each direction carried through user space, and its pump once it is bulk.
    private long copiedIn;
    private long copiedOut;
    private SplicePump inboundPump;
    private SplicePump outboundPump;
    // One timer per connection, scheduled by the connection itself, for both of its deadlines: the idle timeout
    // (IPVS's connection timeout) and the connect timeout of the current attempt. Rather than an
    // IdleStateHandler in the client's pipeline (a handler, its context, its timer task and a promise per write
    // to the client) and Netty's connect-timeout task (one more timer task, its cancellation and a listener per
    // connect): memory and garbage for every connection. A short connection schedules one task and cancels it.
    // When bytes last moved either way (read, or spliced); IPVS refreshes a connection on a packet either way.
    private long lastTrafficNanos;
    private final long idleNanos;
    // When the idle check looks next (meaningful while idleNanos > 0).
    private long idleDueNanos;
    // When the current connect attempt times out (it started connectTimeoutNanos() before); 0 when none is pending.
    private long connectDueNanos;
    // What waited to be sent at the last idle check: a change means the peers are still draining.
    private long lastWaiting;
    private ScheduledFuture<?> timer;
    // The loop's list of open connections (see NatLoop#describeConnections): its neighbours, newer and older.
    private ProxiedConnection newer;
    private ProxiedConnection older;

    private ProxiedConnection(NatLoop loop, VirtualServiceKey service, ServiceLoad load, Channel client,
            InetSocketAddress clientAddress, InetSocketAddress vipAddress, ServiceTable table) {
        this.loop = loop;
        this.idleNanos = table.idleTimeout().toNanos();
        this.service = service;
        this.load = load;
        this.client = client;
        this.clientAddress = clientAddress;
        this.vipAddress = vipAddress;
        this.proxyProtocol = table.nat().proxyProtocol();
        this.transparent = table.nat().transparent();
        this.sources = table.nat().sourceAddresses();
    }

    /**
     * Loop thread: a connection for a just-accepted client from {@code clientAddress} (the socket's peer, or the
     * source of an upstream's PROXY header, whose destination is then {@code vipAddress}; else null) with its first
     * destination chosen (counted as scheduled), or null when the service has no destination with weight > 0 and no
     * fallback. It connects when the client's channel is active, or at {@link #clientReady}.
     */
    static ProxiedConnection schedule(NatLoop loop, VirtualServiceKey service, ServiceLoad load, ServiceSlot slot,
            Channel client, InetSocketAddress clientAddress, InetSocketAddress vipAddress) {
        ProxiedConnection connection = new ProxiedConnection(loop, service, load, client, clientAddress, vipAddress,
                slot.table());
        return connection.chooseAvoiding(slot, null) ? connection : null;
    }

    // ---- choosing a destination ----

    /** A destination other than {@code failed} (null: any), else the fallback; false when there is none. */
    private boolean chooseAvoiding(ServiceSlot slot, RealServerKey failed) {
        DestinationChoice choice = loop.choice();
        return choice.choose(slot, clientAddress, failed) && use(slot, choice);
    }

    private boolean chooseFallback(ServiceSlot slot, RealServerKey failed) {
        DestinationChoice choice = loop.choice();
        return choice.chooseFallback(slot, failed) && use(slot, choice);
    }

    private boolean use(ServiceSlot slot, DestinationChoice choice) {
        Destination d = choice.destination();
        destination = d.key();
        // A fallback is reached at its own address; a real server at the port the client used (alsolisten=).
        destinationAddress = choice.fallback() ? d.address() : slot.target(d, service);
        counters = choice.counters();
        if (choice.templates() != null) {
            templates = choice.templates();
            templateHandle = choice.templateHandle();
        }
        connectTimeout = slot.table().connectTimeout();
        onFallback = choice.fallback();
        sourcesTried = 0; // every source address may be tried towards a new destination
        state = CONNECTING;
        counters.connectionScheduled();
        return true;
    }

    /** The client's channel could not be registered (its loop is shutting down): undo the scheduling. */
    void notRegistered() {
        if (state == CONNECTING) {
            counters.inactiveConnectionGone();
            clientClosed = true;
            backendClosed = true;
            released();
        }
    }

    // ---- connecting ----

    private void connect() {
        connectDueNanos = System.nanoTime() + connectTimeoutNanos();
        InetSocketAddress to = loop.socketAddress(destinationAddress);
        InetSocketAddress from = source(to);
        if (from == NO_SOURCE) {
            connectDueNanos = 0;
            loop.sourceAlarm().optionFailed(service, destinationAddress, SourceSockets.otherFamily(clientAddress));
            counters.inactiveConnectionGone();
            backendClosed = true;
            released();
            abort(client);
            return;
        }
        ChannelFuture future;
        try {
            future = loop.connect(this, to, from, transparent && from != null);
        } catch (ChannelException noSocket) {
            // socket() itself failed (EMFILE, ENFILE, ENOMEM): lbd's own limit, not the real server's fault, so
            // no other server is tried. The loop pauses accepting for a moment and says so, once per interval.
            connectDueNanos = 0;
            loop.backendSocketFailed(noSocket, destinationAddress);
            counters.inactiveConnectionGone();
            backendClosed = true;
            released();
            abort(client);
            return;
        }
        backend = future.channel();
        future.addListener(this);
        armTimer();
    }

    /** {@link #source}'s answer when the client's address cannot be the source (another address family). */
    private static final InetSocketAddress NO_SOURCE = InetSocketAddress.createUnresolved("none", 0);

    /**
     * The address to connect to {@code to} from, port 0 (the kernel picks a port free for the four-tuple), kept in
     * {@link #source}:
     * <ul>
     * <li>transparent=yes: the client's own. Not its port: a client port the director still holds in TIME_WAIT
     * towards that real server, or the same client port on two VIPs of one real server, would make the connect
     * fail — a refusal IPVS never causes.</li>
     * <li>sourceaddress=: the entry in use, the first one taken in turn per loop and service, so that each address's
     * ports are used alike.</li>
     * <li>else null: the kernel's choice.</li>
     * </ul>
     * The fallback is reached from the director's own address (often the director itself, which could not answer
     * a foreign address on loopback).
     */
    private InetSocketAddress source(InetSocketAddress to) {
        if (onFallback) {
            source = null;
        } else if (transparent) {
            if (clientSource == null) {
                InetSocketAddress own = SourceSockets.clientSource(clientAddress, to);
                clientSource = own != null ? own : NO_SOURCE;
            }
            source = clientSource;
        } else if (sources.isEmpty()) {
            source = null;
        } else {
            if (sourceIndex < 0) {
                sourceIndex = load.nextSource(sources.size());
            }
            if (sourcesTried == 0) {
                sourcesTried = 1;
            }
            source = loop.sourceAddress(sources.get(sourceIndex));
        }
        return source;
    }

    /**
     * The connect found no local port free from {@link #source} (EADDRNOTAVAIL): says so (rate-limited), and
     * returns true when it connects again to the same real server from the next source address not yet tried.
     */
    private boolean retriedFromNextSource() {
        boolean another = source != null && !transparent && sourcesTried < sources.size();
        InetAddress next = another ? sources.get((sourceIndex + 1) % sources.size()) : null;
        loop.sourceAlarm().noFreePort(service, source == null ? null : source.getAddress(), destinationAddress,
                next, transparent && source != null);
        if (next == null || !client.isActive() || finishing) {
            return false;
        }
        sourceIndex = (sourceIndex + 1) % sources.size();
        sourcesTried++;
        connect();
        return true;
    }

    /**
     * The current attempt did not connect within the service's connect timeout: fail it as Netty's own connect
     * timeout would (the next server or the fallback is tried, else the client is reset), then close its channel.
     */
    private long connectTimeoutNanos() {
        return Math.max(1, connectTimeout.toNanos());
    }

    private void connectTimedOut() {
        Channel attempt = backend;
        connectDueNanos = 0;
        connectFailed(new ConnectTimeoutException("connection timed out: " + destinationAddress));
        attempt.close(); // its failed connect is no news any more: backend is the next attempt, or state is GONE
    }

    /**
     * The connect attempt completed; success is handled in {@link #channelActive}. A failed attempt's channel is
     * closed here, whatever failed it: on epoll and io_uring a refused connect leaves the socket open (Netty only
     * fails the promise), and nothing else would ever close it.
     */
    @Override
    public void operationComplete(ChannelFuture future) {
        if (future.isSuccess()) {
            return;
        }
        Channel attempt = future.channel();
        if (attempt == backend && state == CONNECTING) {
            connectFailed(future.cause());
        }
        if (attempt.isOpen()) {
            attempt.close();
        }
    }

    private void connectFailed(Throwable cause) {
        if (cause instanceof SourceSockets.OptionFailed) {
            loop.sourceAlarm().optionFailed(service, destinationAddress, cause.getMessage());
        } else if (SourceAlarm.portsExhausted(cause) && retriedFromNextSource()) {
            return; // the same real server, from another source address
        }
        releaseTemplate(); // a retry goes elsewhere; without one the connection ends
        RealServerKey failed = destination;
        DestinationCounters failedCounters = counters;
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: connect to real server {} failed: {}", service, failed.address(), cause.toString());
        }
        boolean next = false;
        if (client.isActive() && !finishing && !onFallback) {
            ServiceSlot slot = loop.worker().service(service);
            if (slot != null) {
                if (!retried) {
                    retried = true;
                    next = chooseAvoiding(slot, failed);
                } else {
                    next = chooseFallback(slot, failed);
                }
            }
        }
        // Only now does the failed server lose its InActConn: lc/wlc above saw it as busier and preferred others.
        failedCounters.inactiveConnectionGone();
        if (next) {
            connect();
            return;
        }
        backendClosed = true;
        released();
        abort(client);
    }

    // ---- channel events (both channels) ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (channel == client) {
            clientReady();
        } else if (channel == backend && state == CONNECTING) {
            state = ESTABLISHED;
            load.connectLatency().record(System.nanoTime() - (connectDueNanos - connectTimeoutNanos()));
            connectDueNanos = 0; // the timer, if due for it, finds nothing to do and re-arms for the idle check
            counters.connectionEstablished();
            if (clientClosed) {
                backend.close();
                return;
            }
            if (proxyProtocol != ProxyProtocol.OFF) {
                ProxyHeaderWriter.write(backend, proxyProtocol, clientAddress,
                        vipAddress != null ? vipAddress : (InetSocketAddress) client.localAddress());
            }
            if (early != null) {
                counters.addIn(early.readableBytes(), 1);
                backend.write(early, backend.voidPromise());
                early = null;
            }
            if (clientInputShut) {
                beginClosing(); // the client's FIN came while connecting
                backend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(SHUTDOWN_OUTPUT);
            } else {
                backend.flush();
                client.read();
            }
            backend.read();
        }
    }

    /**
     * The client's channel is active and its address known (at once, or after an upstream's PROXY header): connect
     * to the chosen real server, and start the idle clock.
     */
    void clientReady() {
        if (idleNanos > 0) {
            lastTrafficNanos = System.nanoTime();
            idleDueNanos = lastTrafficNanos + idleNanos;
        }
        connect(); // arms the timer for the earlier of the two deadlines
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel from = ctx.channel();
        Channel to = peer(from);
        if (to == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (state == CONNECTING) {
            holdEarly(msg);
            return;
        }
        int bytes = msg instanceof ByteBuf buf ? buf.readableBytes() : 0;
        if (from == client) {
            counters.addIn(bytes, 1);
            copiedIn += bytes;
        } else {
            counters.addOut(bytes, 1);
            copiedOut += bytes;
        }
        lastTrafficNanos = System.nanoTime();
        // A failed write surfaces as exceptionCaught on the other channel, which then aborts both sides.
        to.write(msg, to.voidPromise());
    }

    private void holdEarly(Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (early == null) {
            early = buf;
        } else {
            CompositeByteBuf composite;
            if (early instanceof CompositeByteBuf c) {
                composite = c;
            } else {
                composite = client.alloc().compositeBuffer();
                composite.addComponent(true, early);
            }
            composite.addComponent(true, buf);
            early = composite;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel from = ctx.channel();
        IOException reset = IoUringResetCheck.takePendingError(from); // null unless io_uring missed a reset
        if (reset != null) {
            exceptionCaught(ctx, reset);
            return;
        }
        Channel to = peer(from);
        if (to == null || state == CONNECTING) {
            return;
        }
        to.flush();
        if (to.isWritable()) {
            readNext(from);
        }
        // else: channelWritabilityChanged on the other channel asks for the next read.
    }

    /** The other side can take more: ask {@code from} for its next read, or its pump for its next step. */
    private void readNext(Channel from) {
        SplicePump pump = pump(from);
        if (pump != null) {
            pump.schedule();
        } else if (mayRead(from)) {
            from.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        Channel other = peer(channel);
        if (other != null && channel.isWritable() && state != CONNECTING) {
            readNext(other);
        }
    }

    /** Bytes lbd wrote to a channel that its peer has not taken yet: in Netty's buffer and the kernel's send queue. */
    private long waitingToBeSent(Channel channel) {
        if (channel == null || !channel.isOpen()) {
            return 0;
        }
        long waiting = 0;
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        if (buffer != null) {
            waiting += buffer.totalPendingWriteBytes();
        }
        if (channel instanceof io.netty.channel.unix.UnixChannel unix) {
            waiting += Math.max(0, loop.unsentBytes(unix.fd().intValue()));
        }
        return waiting;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            SplicePump pump = existingPump(ctx.channel());
            if (pump != null) {
                pump.inputShutdown(); // passed on once the bytes before the FIN have been spliced
            } else {
                inputShutdown(ctx.channel());
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    // ---- timer: idle timeout and connect timeout ----

    /** Makes sure the timer fires by the earlier pending deadline (loop thread). */
    private void armTimer() {
        if (state == GONE) {
            return; // e.g. a connect whose failure, reported synchronously, already ended the connection
        }
        boolean idle = idleNanos > 0;
        boolean connecting = state == CONNECTING && connectDueNanos != 0;
        if (!idle && !connecting) {
            return;
        }
        long due = !connecting ? idleDueNanos
                : !idle || connectDueNanos - idleDueNanos < 0 ? connectDueNanos : idleDueNanos;
        long delay = due - System.nanoTime();
        if (timer != null) {
            if (timer.getDelay(TimeUnit.NANOSECONDS) <= delay) {
                return; // fires early enough; it re-arms for what is left
            }
            timer.cancel(false);
        }
        timer = loop.eventLoop().schedule(this, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    /** The timer (loop thread): fails a connect attempt that is overdue, closes the connection when idle. */
    @Override
    public void run() {
        timer = null;
        if (state == GONE || finishing) {
            return;
        }
        long now = System.nanoTime();
        if (state == CONNECTING && connectDueNanos != 0 && now - connectDueNanos >= 0) {
            connectTimedOut(); // the next attempt, if any, has armed the timer again
            return;
        }
        if (idleNanos > 0 && now - idleDueNanos >= 0 && idleExpired(now)) {
            return;
        }
        armTimer();
    }

    /** The idle check: true when it closed the connection, else {@link #idleDueNanos} is the next check. */
    private boolean idleExpired(long now) {
        long quiet = now - lastTrafficNanos;
        if (quiet < idleNanos) {
            idleDueNanos = lastTrafficNanos + idleNanos; // bytes moved since: check again when they are idleNanos old
            return false;
        }
        long waiting = waitingToBeSent(client) + waitingToBeSent(backend);
        if (waiting != lastWaiting) {
            // A slow peer is still draining what lbd wrote (e.g. after the other side's FIN, when every byte was
            // already read), or just finished: its ACKs are traffic, as they would refresh an IPVS connection.
            lastWaiting = waiting;
            idleDueNanos = now + idleNanos;
            return false;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: closing idle connection from {}", service, clientAddress);
        }
        finishing = true;
        beginClosing();
        client.close();
        if (backend != null) {
            backend.close();
        }
        return true;
    }

    private void inputShutdown(Channel from) {
        Channel to = peer(from);
        if (to == null) {
            return;
        }
        if (from == client) {
            clientInputShut = true;
        } else {
            backendInputShut = true;
        }
        if (state == CONNECTING) {
            return; // passed on when the real server is connected
        }
        beginClosing();
        if (clientInputShut && backendInputShut) {
            // Both sides sent FIN: flush what is still pending each way, then close.
            finishing = true;
            closeAfterFlush(client);
            closeAfterFlush(backend);
        } else if (nothingPending(to)) {
            passFin(to); // no write, promise and listener just to learn that nothing is pending
        } else {
            to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(SHUTDOWN_OUTPUT);
        }
    }

    /** Passes a FIN on to {@code channel}, whose pending writes have all been flushed (SHUTDOWN_OUTPUT's work). */
    private void passFin(Channel channel) {
        if (channel.isActive()) {
            shutdownOutput((DuplexChannel) channel);
            outputShut(channel);
        } else if (channel.isOpen()) {
            channel.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Channel channel = ctx.channel();
        Channel other = peer(channel);
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: {} side failed: {}", service, channel == client ? "client" : "real server",
                    cause.toString());
        }
        if (other != null) {
            finishing = true; // the abort below is the whole reaction; closing is no further news
            beginClosing();
            abort(other);
        }
        channel.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (channel == client) {
            clientClosed = true;
        } else if (channel == backend) {
            backendClosed = true;
        } else {
            return; // an earlier, failed attempt
        }
        if (state == GONE) {
            return;
        }
        if (state == CONNECTING) {
            // The client left while lbd was connecting: the failed connect finishes the accounting.
            backend.close();
            return;
        }
        beginClosing();
        Channel other = peer(channel);
        if (!finishing && other.isOpen()) {
            if (channel == client ? clientOutputShut : backendOutputShut) {
                // The other side's FIN was passed on to this channel, so Netty closed it on its own FIN (see
                // outputShut); a reset or an error would have come first, as exceptionCaught. Both FINs seen.
                finishing = true;
                closeAfterFlush(other);
            } else {
                // Gone without both FINs and not closed by lbd: a reset or an error — pass it on as a reset.
                abort(other);
            }
        }
        if (clientClosed && backendClosed) {
            counters.inactiveConnectionGone();
            released();
        }
    }

    // ---- splice (see SplicePump) ----

    /**
     * The pump of the direction {@code from} reads, created once that direction has carried the loop's splice
     * threshold through user space; null while the direction is copied.
     */
    private SplicePump pump(Channel from) {
        SplicePump pump = existingPump(from);
        if (pump != null || state == CONNECTING || finishing) {
            return pump;
        }
        long threshold = loop.spliceThreshold();
        boolean inbound = from == client;
        if (threshold <= 0 || (inbound ? copiedIn : copiedOut) < threshold || !mayRead(from)) {
            return null;
        }
        Channel to = peer(from);
        if (!(from instanceof AbstractEpollStreamChannel source) || !(to instanceof AbstractEpollStreamChannel target)) {
            return null;
        }
        if (!loop.takePipe()) {
            return null; // every pipe of the loop's share is held: this direction is copied, and asks again later
        }
        if (from.config() instanceof SocketChannelConfig config) {
            config.setAllowHalfClosure(true); // the pump passes this side's FIN on itself (see outputShut)
        }
        pump = new SplicePump(this, loop, source, target, inbound);
        if (inbound) {
            inboundPump = pump;
        } else {
            outboundPump = pump;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: {} direction of {} switches to splice", service,
                    inbound ? "client-to-server" : "server-to-client", clientAddress);
        }
        return pump;
    }

    private SplicePump existingPump(Channel from) {
        return from == client ? inboundPump : from == backend ? outboundPump : null;
    }

    /** Pump: a chunk of {@code bytes} was issued (counted as one packet, as one read is). */
    void countSpliced(boolean inbound, int bytes) {
        if (inbound) {
            counters.addIn(bytes, 1);
        } else {
            counters.addOut(bytes, 1);
        }
        lastTrafficNanos = System.nanoTime();
    }

    /** Pump: a chunk has been delivered to the target socket. */
    void spliceProgress() {
        lastTrafficNanos = System.nanoTime();
    }

    /** Pump: everything the source sent before its FIN has been moved; pass the FIN on. */
    void passInputShutdown(Channel source) {
        inputShutdown(source);
    }

    /** Pump: a chunk failed (a reset or an I/O error on either side): both sides see a reset, as in the copy path. */
    void spliceFailed(Channel source, Throwable cause) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: splice from the {} side failed: {}", service,
                    source == client ? "client" : "real server", cause.toString());
        }
        abortBoth(source);
    }

    /**
     * Pump, synchronously from the target's close: a chunk was still in flight, so the source's pending splice
     * task refers to the target's closed pipe — close the source now, before that descriptor number is reused.
     */
    void spliceBroken(Channel source) {
        abortBoth(source);
    }

    private void abortBoth(Channel source) {
        Channel other = peer(source);
        finishing = true;
        beginClosing();
        abort(source);
        if (other != null) {
            abort(other);
        }
    }

    /** Pump: lbd is closing the connection (or has closed it); nothing more to move. */
    boolean isFinished() {
        return finishing || state == GONE;
    }

    // ---- helpers ----

    private Channel peer(Channel channel) {
        if (channel == client) {
            return backend;
        }
        return channel == backend ? client : null;
    }

    /**
     * Whether asking a channel for the next read makes sense: not after its FIN (epoll may already have taken
     * a half-closed socket out of its interest set, and then fails the read request).
     */
    boolean mayRead(Channel channel) {
        boolean inputShut = channel == client ? clientInputShut : backendInputShut;
        return !inputShut && channel.isActive() && !((DuplexChannel) channel).isInputShutdown();
    }

    /**
     * Sends a FIN; runs once everything lbd wrote to the channel has been flushed (on io_uring: completed), and
     * lbd writes nothing to it afterwards. On epoll and io_uring straight on the socket, which also marks Netty's
     * view of it output-shut: Netty's shutdownOutput makes an exception object with a full stack trace on every
     * call (to fail later writes, of which there are none), and a promise — on each connection's normal close
     * path. (io_uring's own shutdownOutput also keeps in-flight writes' buffers alive; there are none here.)
     */
    private static void shutdownOutput(DuplexChannel channel) {
        if ((channel instanceof AbstractEpollStreamChannel || channel instanceof IoUringSocketChannel)
                && ((UnixChannel) channel).fd() instanceof Socket socket) {
            try {
                socket.shutdown(false, true);
            } catch (IOException | RuntimeException e) {
                // The socket failed under us (e.g. a reset, ENOTCONN); its own events report that.
                LOG.debug("lbd: could not shut the output of {} down: {}", channel, e.toString());
            }
        } else {
            channel.shutdownOutput();
        }
    }

    /**
     * The other side's FIN has been passed on to {@code channel}. When this channel's FIN comes, both directions
     * are done: Netty may then close the channel at once instead of shutting its input down and reporting that —
     * a shutdown(SHUT_RD) that fails with ENOTCONN on a socket already closed both ways, and an exception object
     * Netty makes for it. Not while a splice pump reads this channel: the pump passes that FIN on by itself.
     */
    private void outputShut(Channel channel) {
        if (channel == client) {
            clientOutputShut = true;
        } else if (channel == backend) {
            backendOutputShut = true;
        } else {
            return;
        }
        if (existingPump(channel) == null && channel.config() instanceof SocketChannelConfig config) {
            config.setAllowHalfClosure(false);
        }
    }

    /**
     * Closes a channel once what lbd wrote to it has been flushed: at once when nothing is pending (no write,
     * promise and listener just to learn that), or when its output is already shut (a write would only fail).
     */
    private static void closeAfterFlush(Channel channel) {
        if (!channel.isOpen()) {
            return;
        }
        if (nothingPending(channel)) {
            channel.close();
        } else {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Whether everything lbd wrote to a channel has left Netty: its outbound buffer is empty (an io_uring write
     * stays there until its completion, an epoll one until the socket took it).
     */
    private static boolean nothingPending(Channel channel) {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null || (buffer.isEmpty() && buffer.totalPendingWriteBytes() == 0);
    }

    private void beginClosing() {
        if (state == ESTABLISHED) {
            state = CLOSING;
            counters.connectionClosing();
        }
    }

    private void released() {
        if (early != null) {
            early.release();
            early = null;
        }
        state = GONE;
        if (timer != null) {
            timer.cancel(false); // else the loop's timer queue would hold the connection until it fires
            timer = null;
        }
        load.release();
        releaseTemplate();
        // Both channels are closed, and with them the pipes Netty made for the splicing directions.
        int pipes = (inboundPump != null ? 1 : 0) + (outboundPump != null ? 1 : 0);
        if (pipes > 0) {
            loop.pipesClosed(pipes);
        }
        loop.connectionClosed(this);
    }

    /** The connection no longer counts for its persistence template (ended, or moved on a retry). */
    private void releaseTemplate() {
        if (templates != null) {
            templates.release(templateHandle, System.nanoTime() / 1_000_000);
            templates = null;
            templateHandle = PersistenceTemplates.NO_TEMPLATE;
        }
    }

    // ---- the loop's list of open connections, and how a listing shows one ----

    /** Loop thread: joins the loop's list as its newest, in front of {@code previousNewest} (may be null). */
    void linkAfter(ProxiedConnection previousNewest) {
        older = previousNewest;
        if (previousNewest != null) {
            previousNewest.newer = this;
        }
    }

    /** Loop thread: leaves the loop's list. */
    void unlink() {
        if (newer != null) {
            newer.older = older;
        }
        if (older != null) {
            older.newer = newer;
        }
        newer = null;
        older = null;
    }

    ProxiedConnection older() {
        return older;
    }

    /**
     * Loop thread: this connection as IPVS would list it, or null when it has no destination (never scheduled).
     * The proxy sees both halves, as IPVS's NAT does, so the state is the one IPVS would be in: SYN_RECV until the
     * real server is connected, ESTABLISHED, then FIN_WAIT (the client sent FIN), CLOSE_WAIT (the real server
     * did), TIME_WAIT (both did) or CLOSE (reset, or lbd closing it). What expires is lbd's own timer: the connect
     * attempt's deadline while connecting, else the idle timeout since bytes last moved.
     */
    ConnectionEntry describe(long nowNanos) {
        if (destinationAddress == null || !(client.remoteAddress() instanceof InetSocketAddress peer)) {
            return null;
        }
        String name;
        long expires;
        if (state == CONNECTING) {
            name = "SYN_RECV";
            expires = connectDueNanos == 0 ? 0 : connectDueNanos - nowNanos;
        } else {
            name = state == ESTABLISHED ? "ESTABLISHED"
                    : clientInputShut && backendInputShut ? "TIME_WAIT"
                    : clientInputShut ? "FIN_WAIT"
                    : backendInputShut ? "CLOSE_WAIT"
                    : "CLOSE";
            expires = idleNanos > 0 && !finishing && state != GONE ? lastTrafficNanos + idleNanos - nowNanos : 0;
        }
        return new ConnectionEntry(new Endpoint(peer.getAddress(), peer.getPort()), service, destinationAddress,
                name, TimeUnit.NANOSECONDS.toMillis(Math.max(0, expires)));
    }

    /** Closes a channel so that its peer sees a reset (RST), not a FIN. */
    static void abort(Channel channel) {
        if (channel.isOpen()) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
            channel.close();
        }
    }
}
