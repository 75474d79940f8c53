package lbd.dataplane.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.NdFrame;
import lbd.dataplane.dr.sys.LinuxNative;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.ServiceSlot;
import lbd.dataplane.worker.WorkerState;

/**
 * One member of the PACKET_FANOUT group: the kernel hashes each flow to one member, so this thread alone
 * owns the flows it sees, their table, its schedulers and counters. Reads a batch of frames, forwards each by
 * rewriting its MACs (or, for a destination on this host, hands it to the host's own stack through
 * {@link LocalDelivery}), answers ARP for the VIPs, and expires connections on its timer wheel.
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

    private final PacketSocket socket;
    private final WorkerState state;
    private final SnapshotPublisher publisher;
    private final long ownMac;
    private final DrStats stats;
    private final FlowTable flows;
    private final FrameParser parser = new FrameParser();
    private final LocalDelivery local;
    private MemorySegment errno;
    private MemorySegment receivedHeader; // the virtio-net header of the frame being handled, null without one
    private ConnectionTimeouts timeouts = ConnectionTimeouts.DEFAULTS; // what the flow table applies
    private MemorySegment replySlot;
    private MemorySegment replyFrame;
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

    /** @param publisher the control plane's snapshots: the tables (through {@code state}) and the DR directory */
    DrWorker(PacketSocket socket, WorkerState state, SnapshotPublisher publisher, long ownMac, DrStats stats,
             int flowCapacity) {
        this(socket, state, publisher, ownMac, stats, flowCapacity, new LocalDelivery(), new InheritedFlows(1));
    }

    /**
     * @param local     the way to this host's own stack, shared by the workers (for local gate destinations)
     * @param inherited connections scheduled elsewhere, shared by the workers
     */
    DrWorker(PacketSocket socket, WorkerState state, SnapshotPublisher publisher, long ownMac, DrStats stats,
             int flowCapacity, LocalDelivery local, InheritedFlows inherited) {
        this.inherited = inherited;
        this.local = local;
        this.socket = socket;
        this.state = state;
        this.publisher = publisher;
        this.ownMac = ownMac;
        this.stats = stats;
        this.flows = new FlowTable(flowCapacity, nowMillis());
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

    /** Any thread: this worker's flows as IPVS lists them, at most {@code limit}, answered between two batches. */
    CompletableFuture<ConnectionEntries> listConnections(int limit) {
        ListingRequest request = new ListingRequest(limit, new CompletableFuture<>());
        listing.set(request);
        return request.answer;
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

    WorkerState state() {
        return state;
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            // One slot per frame of a batch: forwarded frames stay in their slot until the batch is flushed.
            // A slot holds the socket's virtio-net header (if any) and then the frame.
            int header = socket.headerLength();
            errno = LinuxNative.newErrnoSegment(arena);
            MemorySegment[] headers = new MemorySegment[BATCH];
            MemorySegment[] slots = new MemorySegment[BATCH];
            MemorySegment[] frames = new MemorySegment[BATCH];
            MemorySegment all = arena.allocate((long) SLOT * BATCH, 64);
            for (int i = 0; i < BATCH; i++) {
                slots[i] = all.asSlice((long) SLOT * i, SLOT);
                frames[i] = slots[i].asSlice(header);
                headers[i] = header == 0 ? null : slots[i].asSlice(0, header);
            }
            replySlot = arena.allocate(header + 128L, 8); // zeroed: a virtio-net header asking for no offload
            replyFrame = replySlot.asSlice(header);
            while (running) {
                int handled = 0;
                int length;
                while (handled < BATCH && (length = socket.receive(slots[handled])) > 0) {
                    receivedHeader = headers[handled];
                    if (handle(frames[handled], length)) {
                        stats.add(DrStats.SEND_FAILED, socket.queue(slots[handled], length));
                    }
                    handled++;
                }
                stats.add(DrStats.SEND_FAILED, socket.flush());
                followTimeouts();
                flows.expire(nowMillis());
                stats.add(DrStats.HALF_OPEN_EVICTED, flows.halfOpenEvicted() - stats.get(DrStats.HALF_OPEN_EVICTED));
                if (listing.get() != null) {
                    ListingRequest asked = listing.getAndSet(null);
                    asked.answer.complete(flows.describe(asked.limit, nowMillis()));
                }
                if (export.get() != null) {
                    answerExport(export.getAndSet(null));
                }
                if (handled == 0) {
                    socket.awaitReadable(IDLE_POLL_MILLIS);
                }
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

    /** Once per batch: the flow table takes the published timeouts (ipvsadm --set) when they changed. */
    private void followTimeouts() {
        ConnectionTimeouts published = publisher.current().timeouts();
        if (published != timeouts) {
            flows.setTimeouts(published.tcpSeconds() * 1000L, published.tcpFinSeconds() * 1000L);
            timeouts = published;
        }
    }

    /** Handles one received frame; true when it was rewritten and is to be sent. */
    boolean handle(MemorySegment frame, int length) {
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
        } else if (verdict == FrameParser.TCP) {
            return forward(v, nowMillis());
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
        int n = ArpFrame.write(replyFrame, senderMac, ArpFrame.REPLY, ownMac, target, senderMac, sender);
        if (socket.send(replySlot, n)) {
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
        int n = NdFrame.writeAnswer(replyFrame, ownMac, targetHigh, targetLow, parser.sourceMac(),
                parser.sourceIpv6High(), parser.sourceIpv6Low());
        if (socket.send(replySlot, n)) {
            stats.increment(DrStats.NEIGHBOUR_ADVERTISEMENTS_SENT);
        } else {
            stats.increment(DrStats.SEND_FAILED);
        }
    }

    private boolean forward(DrDirectory v, long now) {
        FrameParser p = parser;
        if (p.destinationMac() != ownMac) {
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
            key = v.service6(vipKey, vport);
            clientHigh = p.sourceIpv6High();
            clientLow = p.sourceIpv6Low();
        } else {
            vipKey = p.destinationIp();
            key = v.service(vipKey, vport);
            clientHigh = FlowTable.IPV4;
            clientLow = p.sourceIp() & 0xffffffffL;
        }
        if (key == null) {
            stats.increment(DrStats.NO_SERVICE);
            return false;
        }
        int clientPort = p.sourcePort();
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
        if (flows.mac(e) == Destination.LOCAL_NODE) {
            // IPVS's local node: the packet goes to this host's own stack, still addressed to the VIP.
            stats.increment(local.deliver(errno, receivedHeader, p.frame(), p.networkOffset(), p.length())
                    ? DrStats.DELIVERED_LOCALLY : DrStats.LOCAL_DELIVERY_FAILED);
            return false;
        }
        // The virtio-net header in front of the frame goes back out unchanged: the kernel segments a coalesced
        // frame and fills in a checksum left to the hardware, as it would have for the frame as received.
        p.rewriteMacs(flows.mac(e), ownMac);
        stats.increment(DrStats.FORWARDED); // queued; frames the kernel then refuses are counted as send-failed
        return true;
    }

    /**
     * A packet that is not a SYN, of a connection this worker does not track: a connection handed over is taken
     * in, to its server, as long as the server is in the service; else sloppytcp=yes schedules it (tracked as
     * ESTABLISHED: a mid-flow segment says the handshake is over), else it is dropped. Returns the entry or -1.
     */
    private int carryOn(DrDirectory v, VirtualServiceKey key, long clientHigh, long clientLow, int clientPort,
                        int vipKey, int vport, long now) {
        boolean ipv4 = clientHigh == FlowTable.IPV4;
        if (inherited.take(clientHigh, clientLow, clientPort, ipv4 ? FlowTable.IPV4 : parser.destinationIpv6High(),
                ipv4 ? vipKey & 0xFFFF_FFFFL : parser.destinationIpv6Low(), vport, now, claim)) {
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
            if (d != null && d.mac() != Destination.NO_MAC) {
                int e = flows.adopt(clientHigh, clientLow, clientPort, vipKey, vport, d.mac(), c, claim.state(), now);
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
            // Its server is not (yet: a restart's first health checks) in the service, or the table is full: the
            // packet is dropped and the connection kept until its deadline, for the client's next retransmission.
            inherited.put(clientHigh, clientLow, clientPort, ipv4 ? FlowTable.IPV4 : parser.destinationIpv6High(),
                    ipv4 ? vipKey & 0xFFFF_FFFFL : parser.destinationIpv6Low(), vport, claim.server(), claim.state(),
                    claim.controlled(), claim.deadlineMillis());
            stats.increment(DrStats.INHERITED_FLOW_WAITING);
            return -1;
        }
        if (v.schedulesMidFlow()) {
            int e = schedule(key, clientHigh, clientLow, clientPort, vipKey, vport, TcpStates.ESTABLISHED, now);
            if (e >= 0) {
                stats.increment(DrStats.MID_FLOW_SCHEDULED);
            }
            return e;
        }
        stats.increment(DrStats.UNKNOWN_FLOW_NOT_SYN);
        return -1;
    }

    /** Schedules a new connection, tracked from {@code initial} (NONE for a SYN); returns the entry or -1. */
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
        long mac = d.mac(); // resolved by the control plane, in the same table as the weight
        int e = mac == Destination.NO_MAC ? -1
                : flows.adopt(clientHigh, clientLow, clientPort, vipKey, vport, mac, c, initial, now);
        if (e < 0) {
            stats.increment(mac == Destination.NO_MAC ? DrStats.MAC_UNRESOLVED : DrStats.FLOW_TABLE_FULL);
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
