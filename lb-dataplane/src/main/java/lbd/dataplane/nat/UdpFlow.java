package lbd.dataplane.nat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramChannelConfig;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.RealServerKey;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.worker.ServiceSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP flow of the NAT proxy: a client address:port on a VIP, and a socket connected to the real server chosen
 * for it. The client's datagrams go out on that socket (so the real server sees lbd's address and the socket's
 * port); the server's replies come back on it and go to the client from the VIP's socket the client wrote to, so
 * the client sees them from VIP:port.
 *
 * <p>Counted as IPVS counts a UDP connection: InActConn (UDP has no established state) from the first datagram
 * until the flow ends, which is what lc, wlc and the other load-aware schedulers see; bytes and packets per
 * datagram. It ends when neither side sent anything for the service's timeout (its table's: {@code idletimeout=},
 * else the udp timeout in force, IPVS's 300 s unless {@code lbadm --set} changed it; traffic either way refreshes
 * it, as in IPVS; and as IPVS sets an entry's timeout at each packet, a flow takes a new timeout at its next
 * datagram either way), or at once when the real server's port is unreachable: the connected socket then reports the
 * ICMP error (ECONNREFUSED) on its next read or write.
 * IPVS passes that ICMP error on to the client and keeps the entry until it times out; lbd cannot send ICMP from
 * the VIP without a raw socket, so it ends the flow instead, and the client's next datagram is scheduled afresh
 * (the health check takes the server out meanwhile).
 *
 * <p>Bounded: a datagram is dropped (and counted) rather than queued when the socket it goes out on holds its
 * bound already — {@link #FLOW_WATER_MARK} per flow, {@link #VIP_WATER_MARK} for a VIP socket's replies — both
 * measured in buffer memory ({@link DatagramSizeEstimator}). Datagrams are read whole, up to the largest UDP
 * payload ({@link #MAX_DATAGRAM_BYTES}): lbd never truncates one. Loop thread only.
 */
final class UdpFlow extends ChannelInboundHandlerAdapter implements ChannelFutureListener, Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpFlow.class);

    /** The largest UDP payload (IPv6 without jumbograms: 65535 - 8); every datagram is read into this much. */
    static final int MAX_DATAGRAM_BYTES = 65_536;
    static final FixedRecvByteBufAllocator WHOLE_DATAGRAMS = new FixedRecvByteBufAllocator(MAX_DATAGRAM_BYTES);
    /** Per flow, what waits for its socket to the real server: a few whole datagrams' buffers. */
    static final WriteBufferWaterMark FLOW_WATER_MARK = new WriteBufferWaterMark(4 * MAX_DATAGRAM_BYTES,
            8 * MAX_DATAGRAM_BYTES);
    /** Per VIP socket (one per loop), the replies that wait to go out to their clients. */
    static final WriteBufferWaterMark VIP_WATER_MARK = new WriteBufferWaterMark(64 * MAX_DATAGRAM_BYTES,
            128 * MAX_DATAGRAM_BYTES);

    private final NatLoop loop;
    private final VipDatagrams vip;
    private final InetSocketAddress client;
    private final RealServerKey destination;
    private final DestinationCounters counters;
    private final boolean onFallback;
    private long idleNanos; // the timeout of the table it was last timed by (timedTable)
    private ServiceTable timedTable;
    private PersistenceTemplates templates;
    private long templateHandle;
    private ServiceTable checkedTable;
    private Channel backend;
    // transparent=yes: the client's address (port 0) the flow's socket is bound to; else null (the kernel's choice).
    private InetSocketAddress source;
    private ByteBuf pending; // the first datagram, while the socket connects (if it does not at once)
    private long lastTrafficNanos;
    private ScheduledFuture<?> timer;
    private boolean ended;
    private boolean replied; // a reply was written to the VIP's socket in this read round: flush it
    /** Its client's last datagram has had a reply (counted in the loop's answered flows, for a stop's drain). */
    private boolean answered;

    private UdpFlow(NatLoop loop, VipDatagrams vip, InetSocketAddress client, DestinationChoice choice,
            ServiceTable table) {
        this.loop = loop;
        this.vip = vip;
        this.client = client;
        Destination d = choice.destination();
        this.destination = d.key();
        this.counters = choice.counters();
        this.onFallback = choice.fallback();
        this.templates = choice.templates();
        this.templateHandle = choice.templateHandle();
        this.checkedTable = table;
        this.timedTable = table;
        this.idleNanos = table.idleTimeout().toNanos();
    }

    /**
     * A flow for {@code client} to the destination of {@code choice} (counted as scheduled for it), with its
     * socket created but not yet registered: {@link #start} does that, once the caller has booked the flow. Null
     * when no socket could be created (counted and logged by the loop; nothing was counted for the destination,
     * and the caller releases the choice's template).
     */
    static UdpFlow open(NatLoop loop, VipDatagrams vip, InetSocketAddress client, DestinationChoice choice,
            ServiceTable table) {
        InetSocketAddress to = loop.socketAddress(choice.destination().address());
        DatagramChannel channel;
        try {
            channel = loop.transport().newDatagramChannel(to.getAddress());
        } catch (ChannelException noSocket) { // EMFILE, ENFILE, ENOMEM
            loop.flowSocketFailed(noSocket, choice.destination().address());
            return null;
        }
        InetSocketAddress source = null;
        if (table.nat().transparent() && !choice.fallback()) {
            // As a TCP connection's (see ProxiedConnection#source): from the client's own address, port 0.
            source = SourceSockets.clientSource(client, to);
            String failed = source == null ? SourceSockets.otherFamily(client) : null;
            int option = source == null ? 0 : loop.sourceSockets().prepare(channel, true);
            if (option != 0) {
                failed = SourceSockets.describe(option);
            }
            if (failed != null) {
                channel.unsafe().closeForcibly();
                loop.sourceAlarm().optionFailed(vip.service(), choice.destination().address(), failed);
                return null;
            }
        }
        UdpFlow flow = new UdpFlow(loop, vip, client, choice, table);
        flow.source = source;
        DatagramChannelConfig config = channel.config();
        config.setRecvByteBufAllocator(WHOLE_DATAGRAMS);
        config.setWriteBufferWaterMark(FLOW_WATER_MARK);
        config.setMessageSizeEstimator(DatagramSizeEstimator.INSTANCE);
        channel.pipeline().addLast(flow);
        flow.backend = channel;
        flow.counters.connectionScheduled();
        return flow;
    }

    /** Registers the flow's socket with the loop, connects it to the real server and starts the expiry timer. */
    void start() {
        lastTrafficNanos = System.nanoTime();
        if (idleNanos > 0) {
            timer = loop.eventLoop().schedule(this, idleNanos, TimeUnit.NANOSECONDS);
        }
        Channel channel = backend;
        InetSocketAddress to = loop.socketAddress(destination.address());
        ChannelFuture registered = loop.eventLoop().register(channel);
        if (registered.isDone()) { // the usual case: registered synchronously on the loop's thread
            if (registered.isSuccess()) {
                connect(channel, to);
            } else {
                operationComplete(registered);
            }
        } else {
            registered.addListener((ChannelFutureListener) r -> {
                if (r.isSuccess()) {
                    connect(channel, to);
                } else {
                    operationComplete(r);
                }
            });
        }
    }

    /** Connects the flow's socket to the real server, bound to {@link #source} first when there is one. */
    private void connect(Channel channel, InetSocketAddress to) {
        (source == null ? channel.connect(to) : channel.connect(to, source)).addListener(this);
    }

    /** The socket is connected (then the first datagram goes out), or could not be: the flow ends. */
    @Override
    public void operationComplete(ChannelFuture future) {
        if (future.isSuccess()) {
            if (pending != null) {
                ByteBuf first = pending;
                pending = null;
                backend.writeAndFlush(first, backend.voidPromise());
            }
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: UDP flow of {} to {}: {}", vip.service(), client, destination.address(),
                    future.cause().toString());
        }
        end();
    }

    /**
     * Whether this flow's server still serves it under the slot's current table: still in it and not held down
     * by a health check (an operator's weight 0 keeps its flows, as in IPVS); for a flow on the fallback, the
     * fallback still in use.
     */
    boolean stillServed(ServiceSlot slot) {
        ServiceTable table = slot.table();
        if (table == checkedTable) {
            return true;
        }
        boolean served = onFallback
                ? table.fallbackInUse() && table.fallback().get().key().equals(destination)
                : slot.indexOf(destination) >= 0;
        if (served) {
            checkedTable = table;
        }
        return served;
    }

    /**
     * A datagram from the client, under the service's current {@code table}: out to the real server, unless its
     * socket holds its bound already (dropped).
     */
    void fromClient(ByteBuf content, ServiceTable table) {
        lastTrafficNanos = System.nanoTime();
        if (answered) {
            answered = false;
            loop.answeredFlows(-1);
        }
        if (table != timedTable) {
            retime(table);
        }
        counters.addIn(content.readableBytes(), 1);
        Channel b = backend;
        if (ended || b == null) {
            drop(content);
        } else if (!b.isActive()) {
            if (pending == null && b.isOpen()) {
                pending = content;
            } else {
                drop(content);
            }
        } else if (b.isWritable()) {
            b.writeAndFlush(content, b.voidPromise());
        } else {
            drop(content);
        }
    }

    /**
     * The service's table changed since this flow was timed: it takes the table's timeout from this datagram (either
     * way) on (a new {@code lbadm --set} udp timeout, or a reload's idletimeout=), as an IPVS entry takes the timeout
     * in force at each packet. A shorter one re-arms the timer now; a longer one is found when the timer comes.
     */
    private void retime(ServiceTable table) {
        timedTable = table;
        long next = table.idleTimeout().toNanos();
        if (next == idleNanos) {
            return;
        }
        idleNanos = next;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (next > 0 && !ended) {
            timer = loop.eventLoop().schedule(this, next, TimeUnit.NANOSECONDS);
        }
    }

    private void drop(Object msg) {
        ReferenceCountUtil.release(msg);
        loop.acceptCounters().datagramDropped();
    }

    // ---- the socket to the real server ----

    /** A reply from the real server: back to the client from the VIP's socket. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content;
        if (msg instanceof DatagramPacket packet) {
            content = packet.content();
        } else if (msg instanceof ByteBuf buf) {
            content = buf;
        } else {
            ReferenceCountUtil.release(msg);
            return;
        }
        lastTrafficNanos = System.nanoTime();
        ServiceSlot slot = loop.worker().service(vip.service()); // as IPVS, a reply sets the timeout in force too
        if (slot != null && slot.table() != timedTable) {
            retime(slot.table());
        }
        counters.addOut(content.readableBytes(), 1);
        if (!answered && !ended) {
            answered = true;
            loop.answeredFlows(1);
        }
        Channel out = vip.vip();
        if (out != null && out.isActive() && out.isWritable()) {
            out.write(new DatagramPacket(content, client), out.voidPromise());
            replied = true;
        } else {
            drop(content);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (replied) {
            replied = false;
            vip.vip().flush();
        }
    }

    /**
     * An error on the socket to the real server: most often ECONNREFUSED, the ICMP port unreachable its host sent
     * for an earlier datagram. The flow ends (see the class comment).
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: UDP flow of {} to {} ends: {}", vip.service(), client, destination.address(),
                    cause.toString());
        }
        end();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end();
    }

    /** The expiry check: ends the flow when neither side sent anything for the timeout, else looks again then. */
    @Override
    public void run() {
        timer = null;
        if (ended) {
            return;
        }
        long quiet = System.nanoTime() - lastTrafficNanos;
        if (quiet >= idleNanos) {
            end();
        } else {
            timer = loop.eventLoop().schedule(this, idleNanos - quiet, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Loop thread: this flow as IPVS lists a UDP connection (state {@code UDP}); it expires when its timeout has
     * passed since the last datagram either way.
     */
    ConnectionEntry describe(long nowNanos) {
        long expires = idleNanos > 0 ? lastTrafficNanos + idleNanos - nowNanos : 0;
        return new ConnectionEntry(new Endpoint(client.getAddress(), client.getPort()), vip.service(),
                destination.address(), "UDP", TimeUnit.NANOSECONDS.toMillis(Math.max(0, expires)));
    }

    /** Ends the flow (idempotent): its socket closes, its counts and its template are released. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        if (answered) {
            answered = false;
            loop.answeredFlows(-1);
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (backend != null && backend.isOpen()) {
            if (backend.isRegistered()) {
                backend.close();
            } else {
                backend.unsafe().closeForcibly();
            }
        }
        counters.inactiveConnectionGone();
        if (templates != null) {
            templates.release(templateHandle, System.nanoTime() / 1_000_000);
            templates = null;
            templateHandle = PersistenceTemplates.NO_TEMPLATE;
        }
        vip.ended(client, this);
    }
}
