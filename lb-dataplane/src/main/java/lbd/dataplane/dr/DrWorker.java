package lbd.dataplane.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.Checksum;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.IcmpFrame;
import lbd.dataplane.dr.packet.Ipv4Tunnel;
import lbd.dataplane.dr.packet.Ipv6Tunnel;
import lbd.dataplane.dr.packet.NdFrame;
import lbd.dataplane.dr.packet.Net;
import lbd.sys.LinuxNative;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.dr.sys.PacketSocketPoll;
import lbd.dataplane.dr.xdp.XdpSocket;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.Egress;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.ServiceSlot;
import lbd.dataplane.worker.WorkerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Member i of every ingress interface's PACKET_FANOUT group (one socket per interface; a single worker's sockets
 * join none): the kernel hashes each flow to one member — the same flow hash and the same number of members in
 * every group, so a flow reaches this worker whichever interface it comes in on — and this thread alone owns the
 * flows it sees, their table, its schedulers and counters. Reads a batch of frames from its sockets, forwards each as its destination's
 * {@link Egress} says — on the destination's interface with its MACs (gate), or encapsulated in IPv4 towards the
 * next hop of the route to the real server (ipip) — or, for a destination on this host, hands it to the host's
 * own stack through {@link LocalDelivery}; answers ARP for the VIPs, and expires connections on its timer wheel.
 *
 * <p>Every frame is sent through the first socket, each naming its interface (a packet socket sends on any);
 * ARP and neighbour answers and ICMP errors leave through the socket the request came in on.
 *
 * <p>A packet of an unknown flow that is not a SYN is the rest of a connection scheduled elsewhere (by an
 * earlier lbd process, or by the other director of an HA pair) or a stray segment ({@link #carryOn}): a
 * connection handed over ({@link InheritedFlows}: a saved table, an upgrade, the active director's sync) is taken
 * into this worker's table with its real server; otherwise, with sloppytcp=yes (IPVS's sloppy_tcp), the packet
 * is scheduled as a new connection (with mh, to the server the connection had); otherwise it is dropped and
 * counted as {@link DrStats#UNKNOWN_FLOW_NOT_SYN}, as IPVS does without sloppy_tcp.
 */
final class DrWorker implements Runnable {

    private static final int BATCH = PacketSocket.SEND_BATCH;
    private static final int SLOT = 65536; // a frame from the ring is at most this long (snap length 0x40000 is
                                           // never reached: the interface MTU and GRO bound it far lower)
    private static final int IDLE_POLL_MILLIS = 50;
    private static final long RING_STATS_MILLIS = 1000;
    private static final long INTERNAL_ERROR_LOG_MILLIS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(DrWorker.class);
    // Room in front of each received frame for ipip's outer header, so encapsulation moves the Ethernet and
    // virtio-net headers, not the packet.
    private static final int HEADROOM = (TunnelTransmitter.MAX_OVERHEAD + 15) & ~15;

    private final PacketSocket[] sockets; // one per ingress interface
    // Each interface's AF_XDP socket of this worker, null where it has none; replaced between two batches when the
    // control plane asks (useXdpSockets), so that it can close the old ones once the worker has let go of them.
    private XdpSocket[] xdpSockets;
    private final AtomicReference<XdpSwap> xdpSwap = new AtomicReference<>();

    private record XdpSwap(XdpSocket[] sockets, CompletableFuture<Void> done) {
    }
    private final long[] ownMacs;         // each ingress interface's MAC
    private final int[] ownIndexes;       // each ingress interface's index
    private final PacketSocket socket;    // the one every forwarded frame leaves through
    private int arrival;                  // the socket the frame being handled came in on
    private final WorkerState state;
    private final SnapshotPublisher publisher;
    private final DrStats stats;
    private final FlowTable flows;
    private final FrameParser parser = new FrameParser();
    private final LocalDelivery local;
    private MemorySegment errno;
    private MemorySegment receivedHeader; // the virtio-net header of the frame being handled, null without one
    private boolean receivedThroughXdp;   // the frame being handled came through an AF_XDP socket
    private ConnectionTimeouts timeouts = ConnectionTimeouts.DEFAULTS; // what the flow table applies
    private MemorySegment replySlot;
    private MemorySegment replyFrame;
    // The batch's frames: BATCH slots of SLOT bytes, each HEADROOM bytes of room, the virtio-net header, the frame.
    private MemorySegment slotMemory;
    // Where the frame being handled lies: its memory (the batch's slots, or an AF_XDP socket's UMEM) and the offset
    // of its virtio-net header there, the frame right after it; forward() sends from there (sendOffset).
    private MemorySegment handledMemory;
    private long handledBase;
    // Each interface's AF_XDP socket's frames, one segment per UMEM frame starting at the received data (made when
    // the sockets are given, so that handling a frame in place allocates nothing); a zeroed virtio-net header.
    private MemorySegment[][] xdpFrames;
    private long internalErrorLoggedAt = Long.MIN_VALUE;
    private long internalErrorsSinceLog;
    private MemorySegment zeroHeader;
    private final TunnelTransmitter tunnels;
    // What forward() decided for the frame it returns true for: where it starts (offset in handledMemory), its
    // length, and the interface it leaves on.
    private long sendOffset;
    private int sendLength;
    private int sendInterface;
    private long ringsReadAt;             // when the sockets' drop counters were last read
    private volatile boolean running = true;
    // Held: neither forwards nor answers ARP/ND (another lbd process does, during an upgrade). A plain volatile
    // read per frame; set before an export is asked for, so the export holds every connection this worker made.
    private volatile boolean held;
    // A connection listing asked of this worker (lbadm -Lc): answered on this thread between two batches, so the
    // flow table is only ever read by its owner. One at a time (DrDataPlane#connections serializes them).
    private final AtomicReference<ListingRequest> listing = new AtomicReference<>();

    private record ListingRequest(int limit, CompletableFuture<ConnectionEntries> answer) {
    }

    // Connections scheduled elsewhere, taken at their first packet here; and what taking one finds (this thread's).
    private final InheritedFlows inherited;
    private final InheritedFlows.Claim claim = new InheritedFlows.Claim();
    // An export of this worker's flows asked for (a save, an upgrade, a resync): answered between two batches.
    private final AtomicReference<ExportRequest> export = new AtomicReference<>();
    private final FlowRecords.Writer exportWriter = new FlowRecords.Writer();

    /**
     * Fill {@code into} with messages of at most {@code messageBytes} of flows from entry {@code cursor} on; the
     * answer: where to go on, -1 when done.
     */
    private record ExportRequest(java.nio.ByteBuffer into, int messageBytes, int cursor, long wallMillis,
                                 CompletableFuture<Integer> answer) {
    }

    /**
     * One interface's worker (benchmarks drive {@link #handle} without a socket).
     *
     * @param publisher the control plane's snapshots: the tables (through {@code state}) and the DR directory
     */
    DrWorker(PacketSocket socket, WorkerState state, SnapshotPublisher publisher, long ownMac, DrStats stats,
             int flowCapacity) {
        this(new PacketSocket[] {socket}, new XdpSocket[1], new long[] {ownMac}, state, publisher, stats,
                flowCapacity, new LocalDelivery(), new InheritedFlows(1));
    }

    /**
     * @param sockets this worker's socket on each ingress interface, {@code ownMacs} their interfaces' MACs
     * @param xdpSockets its AF_XDP socket on each (null entries where it has none): frames from either are handled
     *                   alike; a frame that came through one leaves through the AF_XDP socket on its egress
     *                   interface where this worker has one that sends, else through the packet socket
     * @param local     the way to this host's own stack, shared by the workers (for local gate destinations)
     * @param inherited connections scheduled elsewhere, shared by the workers
     */
    DrWorker(PacketSocket[] sockets, XdpSocket[] xdpSockets, long[] ownMacs, WorkerState state,
             SnapshotPublisher publisher, DrStats stats, int flowCapacity, LocalDelivery local,
             InheritedFlows inherited) {
        if (sockets.length == 0 || sockets.length != ownMacs.length || sockets.length != xdpSockets.length) {
            throw new IllegalArgumentException("one MAC and one AF_XDP slot per socket, at least one socket");
        }
        this.xdpSockets = xdpSockets.clone();
        this.inherited = inherited;
        this.local = local;
        this.sockets = sockets.clone();
        this.ownMacs = ownMacs.clone();
        this.ownIndexes = new int[sockets.length];
        for (int i = 0; i < sockets.length; i++) {
            ownIndexes[i] = sockets[i] == null ? 0 : sockets[i].interfaceIndex(); // null: a benchmark's worker
        }
        this.socket = sockets[0];
        this.state = state;
        this.publisher = publisher;
        this.stats = stats;
        this.flows = new FlowTable(flowCapacity, nowMillis());
        this.tunnels = new TunnelTransmitter(socket, stats);
    }

    void stop() {
        running = false;
    }

    /**
     * Any thread: {@code true} stops forwarding and answering ARP/ND (every frame is dropped and counted as
     * {@link DrStats#HELD}), from the next frame on; {@code false} resumes. An export asked for after a hold
     * holds every connection the worker scheduled: the hold is seen before the export, both being volatile.
     */
    void hold(boolean hold) {
        held = hold;
    }

    /**
     * Any thread: the worker receives through these AF_XDP sockets (one per interface, null entries for none) from
     * its next batch on; done once it no longer uses the ones it had.
     */
    CompletableFuture<Void> useXdpSockets(XdpSocket[] sockets) {
        XdpSwap swap = new XdpSwap(sockets.clone(), new CompletableFuture<>());
        xdpSwap.set(swap);
        return swap.done;
    }

    /** Any thread: this worker's flows as IPVS lists them, at most {@code limit}, answered between two batches. */
    CompletableFuture<ConnectionEntries> listConnections(int limit) {
        return listConnections(limit, new CompletableFuture<>());
    }

    /**
     * Any thread: {@link #listConnections(int)} answered into {@code answer}, whose dependent actions then run on
     * the worker's thread, between two batches.
     */
    CompletableFuture<ConnectionEntries> listConnections(int limit, CompletableFuture<ConnectionEntries> answer) {
        listing.set(new ListingRequest(limit, answer));
        return answer;
    }

    /**
     * Any thread: writes {@link FlowRecords} messages of at most {@code messageBytes} of this worker's flows, from
     * entry {@code cursor} on, one after another into {@code into} (position 0 to the limit it sets) while another
     * fits; answered between two batches with the cursor to go on from, -1 when done. One at a time (the caller
     * waits for the answer before asking again).
     */
    CompletableFuture<Integer> exportFlows(java.nio.ByteBuffer into, int messageBytes, int cursor) {
        ExportRequest request = new ExportRequest(into, messageBytes, cursor, System.currentTimeMillis(),
                new CompletableFuture<>());
        export.set(request);
        return request.answer;
    }

    /** Sets (null: removes) who hears of the changes a backup director needs; before {@link #run} starts. */
    void changeListener(FlowTable.ChangeListener listener) {
        flows.changeListener(listener);
    }

    /** Any thread: how many flows the worker tracks now (a plain read of a counter it writes: approximate). */
    int flowCount() {
        return flows.size();
    }

    /** Any thread: the flow table's fixed size. */
    int flowCapacity() {
        return flows.capacity();
    }

    WorkerState state() {
        return state;
    }

    @Override
    public void run() {
        PacketSocketPoll poll = pollOf(xdpSockets);
        try (Arena arena = Arena.ofConfined()) {
            // One slot per frame of a batch: forwarded frames stay in their slot until the batch is flushed.
            // A slot holds HEADROOM bytes of room, the socket's virtio-net header (if any) and then the frame.
            int header = socket.headerLength();
            errno = LinuxNative.newErrnoSegment(arena);
            MemorySegment[] headers = new MemorySegment[BATCH];
            MemorySegment[] slots = new MemorySegment[BATCH];
            MemorySegment[] frames = new MemorySegment[BATCH];
            slotMemory = arena.allocate((long) SLOT * BATCH, 64);
            for (int i = 0; i < BATCH; i++) {
                slots[i] = slotMemory.asSlice((long) SLOT * i + HEADROOM, SLOT - HEADROOM);
                frames[i] = slots[i].asSlice(header);
                headers[i] = header == 0 ? null : slots[i].asSlice(0, header);
            }
            zeroHeader = header == 0 ? null : arena.allocate(header);
            xdpFrames = framesOf(xdpSockets);
            tunnels.start(arena);
            replySlot = arena.allocate(header + 256L, 8); // zeroed: a virtio-net header asking for no offload
            replyFrame = replySlot.asSlice(header);
            int first = 0;
            while (running) {
                try {
                    int handled = 0;
                    long now = nowMillis();
                    // Each interface's socket in turn, starting one further each round, so none waits behind another.
                    for (int k = 0; k < sockets.length && handled < BATCH; k++) {
                        int s = (first + k) % sockets.length;
                        arrival = s;
                        int length;
                        XdpSocket xdp = xdpSockets[s]; // the services' frames, when the XDP program takes them
                        long at;
                        receivedThroughXdp = true;
                        while (xdp != null && handled < BATCH && (at = xdp.next()) >= 0) {
                            length = xdp.lastLength();
                            MemorySegment memory = xdp.umem(); // handled where it lies
                            long base = at - header;
                            MemorySegment frame;
                            if ((at & (XdpSocket.FRAME_SIZE - 1)) == XdpSocket.DATA_OFFSET) {
                                frame = xdpFrames[s][(int) (at / XdpSocket.FRAME_SIZE)];
                            } else { // not where copy mode puts a frame: copied into the batch's slot
                                frame = frames[handled];
                                MemorySegment.copy(memory, at, frame, 0, length);
                                memory = slotMemory;
                                base = (long) SLOT * handled + HEADROOM;
                            }
                            Checksum.completeOffloaded(frame, length); // a sender on this host left it
                            socket.clearHeader(memory, base); // no offload state to hand on
                            handleAt(memory, base, frame, zeroHeader, length, now);
                            handled++;
                        }
                        receivedThroughXdp = false;
                        while (handled < BATCH && (length = sockets[s].receive(slots[handled])) > 0) {
                            handleAt(slotMemory, (long) SLOT * handled + HEADROOM, frames[handled], headers[handled],
                                    length, now);
                            handled++;
                        }
                    }
                    first = (first + 1) % sockets.length;
                    flush();
                    if (now - ringsReadAt >= RING_STATS_MILLIS) {
                        countRingDrops();
                        ringsReadAt = now;
                    }
                    followTimeouts();
                    flows.expire(nowMillis());
                    countEvictions();
                    if (listing.get() != null) {
                        ListingRequest asked = listing.getAndSet(null);
                        try {
                            asked.answer.complete(flows.describe(asked.limit, nowMillis()));
                        } catch (RuntimeException e) {
                            asked.answer.completeExceptionally(e); // the caller hears of it, not only the log
                            throw e;
                        }
                    }
                    if (export.get() != null) {
                        answerExport(export.getAndSet(null));
                    }
                    if (xdpSwap.get() != null) {
                        XdpSwap swap = xdpSwap.getAndSet(null);
                        countUntaken(xdpSockets, swap.sockets);
                        xdpSockets = swap.sockets; // the old ones' frames were released by the flush above
                        xdpFrames = framesOf(xdpSockets);
                        poll.close();
                        poll = pollOf(xdpSockets);
                        swap.done.complete(null);
                    }
                    if (handled == 0) {
                        // Frames the kernel has not taken yet because its send buffer was full are offered again after
                        // a short sleep rather than the idle one; those an interface down refuses, after the idle one.
                        poll.await(transmitRetryDue() ? 1 : IDLE_POLL_MILLIS);
                    }
                } catch (RuntimeException e) {
                    roundFailed(e);
                    // A failure that repeats must not make the worker spin (nor depend on the poll it may be in).
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(IDLE_POLL_MILLIS));
                }
            }
        } finally {
            poll.close();
            countUntaken(xdpSockets, new XdpSocket[0]);
        }
    }

    /**
     * The frames that the AF_XDP sockets this worker lets go of still hold for the kernel to send (the interface was
     * down, or its send buffer full, at the last flush) go with them: counted as forwarded when queued, they are
     * counted as send-failed too, as a frame the packet socket could not send is.
     */
    private void countUntaken(XdpSocket[] lettingGo, XdpSocket[] keeping) {
        for (XdpSocket x : lettingGo) {
            if (x != null && !Arrays.asList(keeping).contains(x)) {
                stats.add(DrStats.SEND_FAILED, x.untakenFrames());
            }
        }
    }

    /** Per AF_XDP socket, a segment per UMEM frame from its received data on (null for no socket). */
    private static MemorySegment[][] framesOf(XdpSocket[] xdp) {
        MemorySegment[][] frames = new MemorySegment[xdp.length][];
        for (int s = 0; s < xdp.length; s++) {
            if (xdp[s] != null) {
                MemorySegment umem = xdp[s].umem();
                int count = (int) (umem.byteSize() / XdpSocket.FRAME_SIZE);
                frames[s] = new MemorySegment[count];
                for (int i = 0; i < count; i++) {
                    frames[s][i] = umem.asSlice((long) i * XdpSocket.FRAME_SIZE + XdpSocket.DATA_OFFSET,
                            XdpSocket.FRAME_SIZE - XdpSocket.DATA_OFFSET);
                }
            }
        }
        return frames;
    }

    /** A poll over the packet sockets and these AF_XDP sockets. */
    private PacketSocketPoll pollOf(XdpSocket[] xdp) {
        int[] fds = java.util.Arrays.stream(xdp).filter(x -> x != null).mapToInt(XdpSocket::fd).toArray();
        return new PacketSocketPoll(sockets, fds);
    }

    /**
     * A received frame, handled where it lies: {@code frame} at {@code base} + the virtio-net header's length in
     * {@code memory}, with room for ipip's outer header before {@code base}, and {@code header} its virtio-net
     * header (null without one); queued for the flush when it is forwarded.
     */
    private void handleAt(MemorySegment memory, long base, MemorySegment frame, MemorySegment header, int length,
                          long now) {
        receivedHeader = header;
        handledMemory = memory;
        handledBase = base;
        if (handle(frame, length, now)) {
            // A frame through AF_XDP has its checksums complete and no offload state: the egress interface's AF_XDP
            // socket can send it as it is, without the packet socket's per-frame address and header handling.
            XdpSocket out = receivedThroughXdp ? xdpSocketOn(sendInterface) : null;
            if (out != null && queuedOn(out, memory)) {
                stats.increment(DrStats.SENT_THROUGH_AF_XDP);
            } else {
                stats.add(DrStats.SEND_FAILED, socket.queue(memory.address() + sendOffset, sendLength, sendInterface));
            }
        }
    }

    /**
     * Queues the frame to send on {@code out}: back out of the socket it came in on (a one-armed director), from
     * where it lies in that socket's memory, without a copy; else copied into one of {@code out}'s sending frames.
     * False when {@code out} takes nothing now.
     */
    private boolean queuedOn(XdpSocket out, MemorySegment memory) {
        long frameAt = sendOffset + socket.headerLength();
        if (out == xdpSockets[arrival] && memory == out.umem()) {
            return out.transmitLastInPlace(frameAt, sendLength);
        }
        return out.transmit(memory, frameAt, sendLength);
    }

    /** This worker's AF_XDP socket on the interface of index {@code interfaceIndex}; null without one. */
    private XdpSocket xdpSocketOn(int interfaceIndex) {
        for (int s = 0; s < ownIndexes.length; s++) {
            if (ownIndexes[s] == interfaceIndex) {
                return xdpSockets[s];
            }
        }
        return null;
    }

    /**
     * Whether an AF_XDP socket has frames queued that the kernel has not taken yet and may take in a moment (not
     * while their interface is down: those are offered again with every batch, and at least every idle wait).
     */
    private boolean transmitRetryDue() {
        for (XdpSocket x : xdpSockets) {
            if (x != null && x.transmitRetryDue()) {
                return true;
            }
        }
        return false;
    }

    /** Once a second: what the kernel dropped because this worker's receive rings were full. */
    private void countRingDrops() {
        long dropped = 0;
        for (PacketSocket s : sockets) {
            dropped += s.dropsSinceLastRead();
        }
        long refused = 0;
        for (XdpSocket x : xdpSockets) {
            if (x != null) {
                dropped += x.dropsSinceLastRead();
                refused += x.refusedAtLastRead();
            }
        }
        stats.add(DrStats.RECEIVE_RING_FULL, dropped);
        stats.add(DrStats.SEND_FAILED, refused);
    }

    /** Sends every queued frame; the segment area is free again. */
    private void flush() {
        stats.add(DrStats.SEND_FAILED, socket.flush());
        tunnels.flushed();
        for (XdpSocket x : xdpSockets) { // sent (or copied to be sent): their frames go back to the kernel
            if (x != null) {
                x.transmitQueued();
                x.release();
            }
        }
    }

    /** Between two batches: writes the flows an export asked for, message after message while another fits. */
    private void answerExport(ExportRequest asked) {
        int next = asked.cursor;
        int at = 0;
        while (next >= 0 && asked.into.capacity() - at >= asked.messageBytes) {
            exportWriter.wrap(asked.into, at, asked.messageBytes, asked.wallMillis);
            next = flows.exportTo(exportWriter, next, nowMillis());
            at += exportWriter.finish();
        }
        asked.into.limit(at);
        asked.answer.complete(next);
    }

    /** Once per batch: the flow table's evictions (a full table made room) into the counters the metrics read. */
    void countEvictions() {
        stats.add(DrStats.HALF_OPEN_EVICTED, flows.halfOpenEvicted() - stats.get(DrStats.HALF_OPEN_EVICTED));
        stats.add(DrStats.UDP_EVICTED, flows.udpEvicted() - stats.get(DrStats.UDP_EVICTED));
    }

    /** Once per batch: the flow table takes the published timeouts (ipvsadm --set) when they changed. */
    private void followTimeouts() {
        ConnectionTimeouts published = publisher.current().timeouts();
        if (published != timeouts) {
            flows.setTimeouts(published.tcpSeconds() * 1000L, published.tcpFinSeconds() * 1000L,
                    published.udpSeconds() * 1000L);
            timeouts = published;
        }
    }

    /**
     * Handles one received frame; true when it was rewritten and is to be sent as {@link #sendOffset},
     * {@link #sendLength} and {@link #sendInterface} say.
     */
    boolean handle(MemorySegment frame, int length) {
        return handle(frame, length, nowMillis());
    }

    /**
     * As above, at {@code now} (monotonic milliseconds): the batch's time, read once per batch — timeouts are counted
     * in milliseconds (IPVS counts them in jiffies), and a clock read per frame was 1.5–3 % of the worker's time.
     */
    boolean handle(MemorySegment frame, int length, long now) {
        try {
            return handleFrame(frame, length, now);
        } catch (RuntimeException e) {
            internalError(e, now);
            return false;
        }
    }

    /**
     * A frame whose handling failed inside lbd (a bug) is dropped and counted, and the worker goes on: a thread that
     * ended here would leave its share of the connections unforwarded, and a frame that can make it fail could then
     * end every worker. Logged at once, then at most once a minute with how many since.
     */
    private void internalError(RuntimeException e, long now) {
        stats.increment(DrStats.INTERNAL_ERROR);
        internalErrorsSinceLog++;
        if (internalErrorLogDue(now)) {
            LOG.error("direct routing: a DR worker dropped {} frame(s) it failed to handle (dropped-internal-error), "
                    + "last: {}; it goes on with the next frames. This is a bug in lbd: please report it with this "
                    + "message", internalErrorsSinceLog, e.toString(), e);
            internalErrorsSinceLog = 0;
        }
    }

    /**
     * The same for the work between frames (sending the batch, expiring flows, a listing, an export, taking other
     * AF_XDP sockets): the worker logs it, waits as long as an idle round, and starts the next round.
     */
    private void roundFailed(RuntimeException e) {
        if (internalErrorLogDue(nowMillis())) {
            LOG.error("direct routing: a DR worker's work between frames failed: {}; it goes on with the next round."
                    + " This is a bug in lbd: please report it with this message", e.toString(), e);
        }
    }

    /** Whether an internal error may be logged now (at once, then at most once a minute); if so, from now. */
    private boolean internalErrorLogDue(long now) {
        if (internalErrorLoggedAt != Long.MIN_VALUE && now - internalErrorLoggedAt < INTERNAL_ERROR_LOG_MILLIS) {
            return false;
        }
        internalErrorLoggedAt = now;
        return true;
    }

    private boolean handleFrame(MemorySegment frame, int length, long now) {
        stats.increment(DrStats.RECEIVED);
        if (held) {
            stats.increment(DrStats.HELD);
            return false;
        }
        int verdict = parser.parse(frame, length);
        stats.increment(verdict);
        DrDirectory v = publisher.current().directRouting();
        if (verdict == FrameParser.ARP) {
            answerArp(v, frame, parser.networkOffset(), parser.length());
        } else if (verdict == FrameParser.NEIGHBOUR_SOLICITATION) {
            answerNeighbourSolicitation(v, frame);
        } else if (verdict == FrameParser.TCP || verdict == FrameParser.UDP) {
            return forward(v, verdict == FrameParser.UDP, now);
        }
        // Every other verdict is counted and dropped: the filter only lets frames for our VIPs through, and
        // the kernel (VIP not local, forwarding off) drops its own copy.
        return false;
    }

    private void answerArp(DrDirectory v, MemorySegment f, int l3, int length) {
        if (!ArpFrame.isEthernetIpv4(f, l3, length) || ArpFrame.operation(f, l3) != ArpFrame.REQUEST) {
            return;
        }
        int target = ArpFrame.targetIp(f, l3);
        int sender = ArpFrame.senderIp(f, l3);
        if (!v.answersArp(target) || sender == target) { // not ours (or silenced), or a gratuitous announcement
            return;
        }
        long senderMac = ArpFrame.senderMac(f, l3);
        int n = ArpFrame.write(replyFrame, senderMac, ArpFrame.REPLY, ownMacs[arrival], target, senderMac, sender);
        if (sockets[arrival].send(replySlot, n)) {
            stats.increment(DrStats.ARP_REPLIES_SENT);
        } else {
            stats.increment(DrStats.SEND_FAILED);
        }
    }

    /** IPv6's ARP: a solicitation for one of our IPv6 VIPs gets an advertisement with the director's MAC. */
    private void answerNeighbourSolicitation(DrDirectory v, MemorySegment f) {
        int l4 = parser.transportOffset();
        long targetHigh = NdFrame.targetHigh(f, l4);
        long targetLow = NdFrame.targetLow(f, l4);
        if (!v.answersNd(v.vip6Number(targetHigh, targetLow))) {
            return; // not ours, or silenced (the backup of an HA pair)
        }
        int n = NdFrame.writeAnswer(replyFrame, ownMacs[arrival], targetHigh, targetLow, parser.sourceMac(),
                parser.sourceIpv6High(), parser.sourceIpv6Low());
        if (sockets[arrival].send(replySlot, n)) {
            stats.increment(DrStats.NEIGHBOUR_ADVERTISEMENTS_SENT);
        } else {
            stats.increment(DrStats.SEND_FAILED);
        }
    }

    /**
     * A TCP segment or ({@code udp}) UDP datagram for a VIP: to its flow's real server, a new flow scheduled first.
     * A UDP datagram of no flow is a new flow (UDP has no SYN); its flow lives until the UDP timeout passes without
     * a datagram from the client, as IPVS's.
     */
    private boolean forward(DrDirectory v, boolean udp, long now) {
        FrameParser p = parser;
        if (p.destinationMac() != ownMacs[arrival]) {
            stats.increment(DrStats.NOT_FOR_THIS_HOST);
            return false;
        }
        int vport = p.destinationPort();
        // The flow key: an IPv4 client as (IPV4, address) with the VIP itself; an IPv6 client's two halves with
        // the directory's number for its VIP.
        long clientHigh;
        long clientLow;
        int vipKey;
        VirtualServiceKey key;
        if (p.isIpv6()) {
            vipKey = v.vip6Number(p.destinationIpv6High(), p.destinationIpv6Low());
            key = v.service6(vipKey, vport, udp);
            clientHigh = p.sourceIpv6High();
            clientLow = p.sourceIpv6Low();
        } else {
            vipKey = p.destinationIp();
            key = v.service(vipKey, vport, udp);
            clientHigh = FlowTable.IPV4;
            clientLow = p.sourceIp() & 0xffffffffL;
        }
        if (key == null) {
            stats.increment(DrStats.NO_SERVICE);
            return false;
        }
        int clientPort = p.sourcePort();
        if (udp) {
            int e = flows.find(clientHigh, clientLow, clientPort, vipKey, vport, true);
            if (e < 0) {
                e = takeHandedOver(key, clientHigh, clientLow, clientPort, vipKey, vport, true, now);
                if (e == NOT_HANDED_OVER) {
                    e = schedule(key, clientHigh, clientLow, clientPort, vipKey, vport, TcpStates.UDP, now);
                }
                if (e < 0) {
                    return false;
                }
            }
            flows.onPacket(e, 0, p.ipLength(), now);
            return send(e);
        }
        int flags = p.tcpFlags();
        boolean syn = (flags & (FrameParser.TCP_SYN | FrameParser.TCP_ACK | FrameParser.TCP_RST | FrameParser.TCP_FIN))
                == FrameParser.TCP_SYN;
        int e = flows.find(clientHigh, clientLow, clientPort, vipKey, vport);
        if (e >= 0 && syn && (flows.state(e) == TcpStates.CLOSE || flows.state(e) == TcpStates.TIME_WAIT)) {
            flows.remove(e, now); // a new connection reuses the client port of a finished one: schedule it afresh
            e = -1;
        }
        if (e < 0) {
            e = syn ? schedule(key, clientHigh, clientLow, clientPort, vipKey, vport, TcpStates.NONE, now)
                    : carryOn(v, key, clientHigh, clientLow, clientPort, vipKey, vport, now);
            if (e < 0) {
                return false;
            }
        }
        flows.onPacket(e, flags, p.ipLength(), now);
        return send(e);
    }

    /** The packet just parsed, of flow {@code e}, on to the flow's real server; true when queued as forward's. */
    private boolean send(int e) {
        FrameParser p = parser;
        Egress out = flows.egress(e);
        if (out.nextHopMac() == Destination.LOCAL_NODE) {
            // IPVS's local node: the packet goes to this host's own stack, still addressed to the VIP.
            stats.increment(local.deliver(errno, receivedHeader, p.frame(), p.networkOffset(), p.length())
                    ? DrStats.DELIVERED_LOCALLY : DrStats.LOCAL_DELIVERY_FAILED);
            return false;
        }
        boolean sameInterface = out.interfaceIndex() == Egress.ARRIVAL_INTERFACE;
        sendInterface = sameInterface ? ownIndexes[arrival] : out.interfaceIndex();
        long sourceMac = sameInterface ? ownMacs[arrival] : out.sourceMac();
        if (out.tunnels()) {
            return tunnel(out, sourceMac);
        }
        if (tooBig(out, 0)) { // gate onto a link of a smaller MTU than the one it came from
            return false;
        }
        // The virtio-net header in front of the frame goes back out unchanged: the kernel segments a coalesced
        // frame and fills in a checksum left to the hardware, as it would have for the frame as received.
        p.rewriteMacs(out.nextHopMac(), sourceMac);
        sendOffset = handledBase;
        sendLength = p.length();
        stats.increment(DrStats.FORWARDED); // queued; frames the kernel then refuses are counted as send-failed
        return true;
    }

    /**
     * ipip: the client's packet in an outer header to the real server ({@link TunnelTransmitter}). A packet that
     * would no longer fit the egress MTU gets ICMP "fragmentation needed" (ICMPv6 "packet too big") back and is
     * dropped ({@link #tooBig}).
     */
    private boolean tunnel(Egress out, long sourceMac) {
        FrameParser p = parser;
        boolean v6 = out.tunnelsOverIpv6();
        if (p.isIpv6() != v6) { // a table built for the other family; not reached from lb-config's files
            stats.increment(DrStats.TUNNEL_FAMILY_MISMATCH);
            return false;
        }
        if (v6 ? Ipv6Tunnel.expires(p.frame(), p.networkOffset()) : Ipv4Tunnel.expires(p.frame(), p.networkOffset())) {
            stats.increment(DrStats.TUNNEL_TTL_EXPIRED);
            return false;
        }
        if (tooBig(out, v6 ? Ipv6Tunnel.HEADER : Ipv4Tunnel.HEADER)) {
            return false;
        }
        int gsoSize = TunnelTransmitter.gsoSize(receivedHeader);
        if (gsoSize > 0 && p.isUdp()) {
            // Datagrams the kernel coalesced (UDP GRO forwarding, off unless turned on for the interface): the
            // tunnel's segmentation writes TCP segments only.
            stats.increment(DrStats.UDP_COALESCED_NOT_TUNNELLED);
            return false;
        }
        stats.increment(DrStats.FORWARDED);
        if (gsoSize > 0) {
            tunnels.segments(out, sourceMac, p, gsoSize, sendInterface); // queued
            return false;
        }
        tunnels.inPlace(out, sourceMac, p, handledMemory, handledBase + socket.headerLength(),
                TunnelTransmitter.needsChecksum(receivedHeader));
        sendOffset = tunnels.sendOffset();
        sendLength = tunnels.sendLength();
        return true;
    }

    /**
     * IPVS's MTU check before it sends (ensure_mtu_is_adequate): whether the packet being forwarded, with
     * {@code overhead} bytes added (ipip's outer header), exceeds the egress MTU — for a coalesced frame, one of its
     * segments. If so it is dropped; an IPv4 packet that forbids fragmentation (DF), and every IPv6 packet, gets
     * ICMP "fragmentation needed" / ICMPv6 "packet too big" with the MTU it must fit (from the VIP, through the
     * interface it came in on), so that the client's path MTU discovery shrinks its segments. An egress of unknown
     * MTU (0) is never too big.
     */
    private boolean tooBig(Egress out, int overhead) {
        FrameParser p = parser;
        if (out.mtu() <= 0) {
            return false;
        }
        MemorySegment f = p.frame();
        int l3 = p.networkOffset();
        int l4 = p.transportOffset();
        int gsoSize = TunnelTransmitter.gsoSize(receivedHeader);
        int packetLength = gsoSize > 0 ? l4 - l3 + p.transportHeaderLength() + gsoSize : p.ipLength();
        int mtu = out.mtu() - overhead;
        if (packetLength <= mtu) {
            return false;
        }
        int n;
        if (p.isIpv6()) {
            n = IcmpFrame.writePacketTooBig(replyFrame, ownMacs[arrival], f, l3, l4, p.sourceMac(), mtu);
        } else if (Ipv4Tunnel.dontFragment(f, l3)) {
            n = IcmpFrame.writeFragmentationNeeded(replyFrame, ownMacs[arrival], f, l3, p.sourceMac(), mtu);
        } else {
            stats.increment(DrStats.TOO_BIG);
            return true;
        }
        stats.increment(sockets[arrival].send(replySlot, n) ? DrStats.FRAGMENTATION_NEEDED_SENT : DrStats.SEND_FAILED);
        return true;
    }

    /**
     * A packet that is not a SYN, of a connection this worker does not track: a connection handed over is taken
     * in, to its server, as long as the server is in the service; else sloppytcp=yes schedules it (tracked as
     * ESTABLISHED: a mid-flow segment says the handshake is over), else it is dropped. Returns the entry or -1.
     */
    private int carryOn(DrDirectory v, VirtualServiceKey key, long clientHigh, long clientLow, int clientPort,
                        int vipKey, int vport, long now) {
        int e = takeHandedOver(key, clientHigh, clientLow, clientPort, vipKey, vport, false, now);
        if (e != NOT_HANDED_OVER) {
            return e;
        }
        if (v.schedulesMidFlow()) {
            e = schedule(key, clientHigh, clientLow, clientPort, vipKey, vport, TcpStates.ESTABLISHED, now);
            if (e >= 0) {
                stats.increment(DrStats.MID_FLOW_SCHEDULED);
            }
            return e;
        }
        stats.increment(DrStats.UNKNOWN_FLOW_NOT_SYN);
        return -1;
    }

    /** {@link #takeHandedOver}: no connection of this key was handed over (or, for UDP, it cannot be taken in). */
    private static final int NOT_HANDED_OVER = -2;

    /**
     * The first packet here of a connection (a UDP flow when {@code udp}) handed over — a saved table, an upgrade,
     * the active director's sync: taken into this worker's table, to its server, with its persistence template.
     * Returns the entry; {@link #NOT_HANDED_OVER} when there is none; -1 when its server is not (yet: a restart's
     * first health checks) in the service, or the table is full: a TCP packet is then dropped and the connection
     * kept until its deadline, for the client's next retransmission. A UDP flow in that case returns
     * {@link #NOT_HANDED_OVER} (its datagram is scheduled afresh, as the NAT proxy schedules afresh the flow of a
     * server taken out: a datagram needs no earlier state at its server).
     */
    private int takeHandedOver(VirtualServiceKey key, long clientHigh, long clientLow, int clientPort, int vipKey,
                               int vport, boolean udp, long now) {
        boolean ipv4 = clientHigh == FlowTable.IPV4;
        long vipHigh = ipv4 ? FlowTable.IPV4 : parser.destinationIpv6High();
        long vipLow = ipv4 ? vipKey & 0xFFFF_FFFFL : parser.destinationIpv6Low();
        if (!inherited.take(clientHigh, clientLow, clientPort, vipHigh, vipLow, vport, udp, now, claim)) {
            return NOT_HANDED_OVER;
        }
        ServiceSlot slot = state.service(key);
        Destination d = null;
        DestinationCounters c = null;
        if (slot != null) {
            int index = slot.indexOfServer(claim.server());
            if (index >= 0) {
                d = slot.destination(index);
                c = slot.counters(index);
            } else if (slot.table().fallback().isPresent()
                    && slot.table().fallback().get().key().equals(claim.server())) {
                d = slot.table().fallback().get();
                c = slot.fallbackCounters();
            }
        }
        if (d != null && d.egress().resolved()) {
            int e = flows.adopt(clientHigh, clientLow, clientPort, vipKey, vport, d.egress(), c, claim.state(), now);
            if (e >= 0) {
                Persistence persistence = slot.persistence();
                if (claim.controlled() && persistence != null) {
                    long handle = persistence.join(clientHigh, clientLow, now);
                    if (handle != PersistenceTemplates.NO_TEMPLATE) {
                        flows.controlledBy(e, persistence.templates(), handle, persistence.prefixLength());
                    }
                }
                stats.increment(DrStats.INHERITED_FLOW_TAKEN);
                return e;
            }
        }
        if (udp) {
            return NOT_HANDED_OVER;
        }
        inherited.put(clientHigh, clientLow, clientPort, vipHigh, vipLow, vport, false, claim.server(),
                claim.state(), claim.controlled(), claim.deadlineMillis());
        stats.increment(DrStats.INHERITED_FLOW_WAITING);
        return -1;
    }

    /**
     * Schedules a new connection, tracked from {@code initial} (NONE for a SYN, {@link TcpStates#UDP} for a UDP
     * flow); returns the entry or -1.
     */
    private int schedule(VirtualServiceKey key, long clientHigh, long clientLow, int clientPort, int vipKey,
                         int vport, byte initial, long now) {
        ServiceSlot slot = state.service(key);
        if (slot == null) {
            stats.increment(DrStats.NO_SERVICE);
            return -1;
        }
        boolean ipv4 = clientHigh == FlowTable.IPV4;
        Persistence persistence = slot.persistence();
        PersistenceTemplates.Binding binding = null;
        int index;
        if (persistence != null) {
            // the client network's template, or a new one
            binding = ipv4 ? slot.bindPersistent((int) clientLow, clientPort, now)
                    : slot.bindPersistent(clientHigh, clientLow, clientPort, now);
            index = binding.index();
        } else {
            int fold = ipv4 ? (int) clientLow : ServiceSlot.ipv6Fold(clientHigh, clientLow); // IPv4: itself
            index = slot.pick(slot.clientKey(fold, clientPort));
        }
        Destination d;
        DestinationCounters c;
        if (index >= 0) {
            d = slot.destination(index);
            c = slot.counters(index);
        } else if (slot.table().fallback().isPresent()) {
            d = slot.table().fallback().get();
            c = slot.fallbackCounters();
        } else {
            stats.increment(DrStats.NO_DESTINATION);
            return -1;
        }
        Egress out = d.egress(); // resolved by the control plane, in the same table as the weight
        int e = !out.resolved() ? -1 : flows.adopt(clientHigh, clientLow, clientPort, vipKey, vport, out, c, initial, now);
        if (e < 0) {
            stats.increment(!out.resolved() ? DrStats.MAC_UNRESOLVED : DrStats.FLOW_TABLE_FULL);
            if (binding != null) {
                persistence.templates().release(binding.handle(), now); // no connection after all
            }
            return -1;
        }
        if (binding != null && binding.handle() != PersistenceTemplates.NO_TEMPLATE) {
            flows.controlledBy(e, persistence.templates(), binding.handle(), persistence.prefixLength());
        }
        return e;
    }

    private static long nowMillis() {
        return System.nanoTime() / 1_000_000;
    }
}
