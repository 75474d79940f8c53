package lbd.dataplane.dr;

import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.dr.flow.FlowChangeRing;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.DrSystemException;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.dr.xdp.XdpReceive;
import lbd.dataplane.dr.xdp.XdpSocket;
import lbd.dataplane.dr.sys.TunDevice;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct-routing data path: on each ingress interface, AF_PACKET sockets in one PACKET_FANOUT group (a group
 * cannot span interfaces), one socket per worker thread, a BPF filter for the DR VIPs; each worker reads its socket
 * of every interface, forwards (gate, ipip) on whichever interface the destination's egress names, and answers ARP
 * for the VIPs.
 *
 * <p>Everything the workers read comes from the control plane's {@link SnapshotPublisher}, the same as the NAT
 * path's: the service tables (with each gate server's MAC) and the {@link DrDirectory} (VIPs, ARP answering).
 * The host is the control plane's business too (lb-director's DrHost and NeighbourResolver: the interface,
 * the checks, MAC resolution, gratuitous ARP); this class opens the sockets on the {@link DrInterface} it is
 * given and reads no file. One owner thread: {@link #start}, {@link #follow} after each publication (packet
 * filter), {@link #close}.
 */
public final class DrDataPlane implements AutoCloseable {

    /** Per worker: changes waiting for the connection sync (16384 records, 1.1 MB once the sync enables it). */
    static final int CHANGE_RING_SLOTS = 1 << 14;
    /** The most connections handed over (saved, synced) kept waiting for their first packet here. */
    static final long MAX_INHERITED = 1 << 22;
    // Per worker: 8 MiB of TPACKET_V3 receive ring, about 4000 full-size frames of burst, shared out among the
    // interfaces (at least 2 MiB each).
    private static final int RING_BLOCKS = 32;
    private static final int MIN_RING_BLOCKS = 8;
    private static final int RING_BLOCK_SIZE = 1 << 18;
    /** How long {@link #close} waits for the workers to stop before it leaves their sockets to them. */
    static final long STOP_WAIT_MILLIS = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(DrDataPlane.class);

    private final List<DrInterface> interfaces;
    private final List<PacketSocket> sockets;
    private final List<DrWorker> workers;
    private final List<Thread> threads;
    private final List<DrStats> stats;
    private final LocalDelivery local = new LocalDelivery();
    private final InheritedFlows inherited;
    private final List<FlowChangeRing> changeRings = new ArrayList<>();
    private final SnapshotPublisher publisher;
    // The AF_XDP receive path (DrOptions#xdp); null without it, or when the kernel refused it (xdpRefusal says why,
    // also when a release could not attach it again). Set at start; read and written by any thread after.
    private volatile XdpReceive xdp;
    private volatile String xdpRefusal;
    // Holds, releases and the close, one at a time: a close while a release hands out sockets would unmap them
    // under a worker; a hold after the close does nothing.
    private final Object lifecycle = new Object();
    private volatile boolean closed;
    // The workers' threads still running, and whether the sockets, rings and tunnel device were given back: by the
    // close, or after it by the last worker to end (see close).
    private final AtomicInteger runningWorkers = new AtomicInteger();
    private final AtomicBoolean released = new AtomicBoolean();
    // Owner thread: the VIPs in the packet filter; whether the sockets take every multicast frame (IPv6 ND).
    private Set<Integer> filtered;
    private Set<Inet6Address> filtered6;
    private boolean allMulticast;

    private DrDataPlane(List<DrInterface> interfaces, List<PacketSocket> sockets, List<DrWorker> workers,
                        List<DrStats> stats, Set<Integer> filtered, Set<Inet6Address> filtered6,
                        SnapshotPublisher publisher, int inheritedCapacity) {
        this.publisher = publisher;
        this.inherited = new InheritedFlows(inheritedCapacity);
        this.interfaces = List.copyOf(interfaces);
        this.filtered6 = filtered6;
        this.sockets = sockets;
        this.workers = workers;
        this.stats = stats;
        this.filtered = filtered;
        this.threads = new ArrayList<>();
    }

    /** {@link #start(List, DrOptions, SnapshotPublisher, Collection)} on one interface. */
    public static DrDataPlane start(DrInterface iface, DrOptions options, SnapshotPublisher publisher,
                                    Collection<VirtualServiceKey> services) {
        return start(List.of(iface), options, publisher, services);
    }

    /**
     * Opens the sockets on each ingress interface with a filter for the services' VIPs and starts the workers. The
     * host was checked by the control plane, which also chose the interfaces; nothing is announced here (the
     * control plane sends gratuitous ARP once a snapshot says lbd answers for a VIP).
     *
     * @param ingress  the interfaces VIP traffic is received on (at least one)
     * @param services the DR (gate, ipip) services, as keys of {@code publisher}'s tables
     * @throws DrStartupException when a service cannot be forwarded by this path
     */
    public static DrDataPlane start(List<DrInterface> ingress, DrOptions options, SnapshotPublisher publisher,
                                    Collection<VirtualServiceKey> services) {
        if (ingress.isEmpty()) {
            throw new DrStartupException("direct routing has no interface to receive on");
        }
        for (VirtualServiceKey key : services) {
            if (key.protocol() != Protocol.TCP && key.protocol() != Protocol.UDP) {
                throw new DrStartupException("DR service " + key + " is neither TCP nor UDP; the DR data path of"
                        + " lbd forwards TCP and UDP only: use masq for it");
            }
        }
        for (VirtualServiceKey key : services) {
            ServiceTable t = publisher.current().service(key);
            if (t == null) {
                continue;
            }
            for (Destination d : t.destinations()) {
                if (!d.forwarding().keepsPortOf(key.address().port(), d.address().port())) {
                    throw new DrStartupException("real server " + d.address() + " of " + key + " uses port "
                            + d.address().port() + ", but direct routing cannot change ports: make it "
                            + key.address().port() + " or use masq");
                }
            }
        }
        DrDirectory startDirectory = DrDirectory.of(services, Set.of());
        Set<Integer> vips = startDirectory.vipSet();
        BpfFilter filter = BpfFilter.forVips(startDirectory.vipArray(), startDirectory.vip6Array());
        // One fanout group per interface (the kernel refuses a group on two devices), ids apart per process. A single
        // worker joins none: a group hashes every frame to choose its socket (on a NIC that gives no hash, veth and
        // virtio among them, a flow dissection and a siphash per frame, in the receiving softirq), and one socket
        // alone gets every frame without it, as the sockets of another process's group do.
        int group = fanoutGroup(ProcessHandle.current(), ingress.size());
        int blocks = Math.max(MIN_RING_BLOCKS, RING_BLOCKS / ingress.size());
        int workerCount = options.workers();
        // AF_XDP first: with it, the packet sockets' fanout follows the receive queue as the AF_XDP sockets do (a
        // queue's frames reach one worker by either path: worker w has queue w's AF_XDP socket, and its packet socket,
        // joined w-th, gets queue q's frames for every q mod workers == w), not the flow hash.
        XdpReceive xdp = null;
        String xdpRefusal = null;
        if (options.xdp()) {
            try {
                xdp = XdpReceive.open(ingress, workerCount, services, false);
                if (!options.startHeld()) { // else on release (hold), once the other process has let go of the queues
                    xdp.openSockets();
                    xdp.attached(true);
                }
            } catch (XdpSocket.QueueBusyException e) {
                xdpRefusal = e.getMessage(); // tried again on the next release
            } catch (RuntimeException e) {
                if (xdp != null) {
                    xdp.close();
                    xdp = null;
                }
                xdpRefusal = e.getMessage(); // the packet sockets take every frame, as without it
            }
        }
        // sockets: interface-major, worker-minor (socket of worker w on interface i at i * workers + w)
        List<PacketSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < ingress.size(); i++) {
                DrInterface iface = ingress.get(i);
                for (int w = 0; w < workerCount; w++) {
                    sockets.add(PacketSocket.open(iface.name(), iface.index(), filter,
                            workerCount > 1 ? (group + i) & 0xffff : -1, xdp != null, true, blocks, RING_BLOCK_SIZE));
                }
            }
        } catch (RuntimeException e) {
            sockets.forEach(PacketSocket::close);
            if (xdp != null) {
                xdp.close();
            }
            throw e;
        }
        List<DrStats> stats = new ArrayList<>();
        List<DrWorker> workers = new ArrayList<>();
        DrDataPlane plane = new DrDataPlane(ingress, sockets, workers, stats, Set.copyOf(vips),
                startDirectory.vip6Set(), publisher,
                (int) Math.min((long) options.workers() * options.flowsPerWorker(), MAX_INHERITED));
        plane.xdp = xdp;
        plane.xdpRefusal = xdpRefusal;
        if (!startDirectory.vip6Set().isEmpty()) {
            plane.receiveAllMulticast();
        }
        long[] macs = ingress.stream().mapToLong(DrInterface::mac).toArray();
        for (int w = 0; w < workerCount; w++) {
            DrStats s = new DrStats();
            stats.add(s);
            PacketSocket[] own = new PacketSocket[ingress.size()];
            for (int i = 0; i < ingress.size(); i++) {
                own[i] = sockets.get(i * workerCount + w);
            }
            XdpSocket[] ownXdp = xdp == null ? new XdpSocket[ingress.size()] : xdp.socketsOf(w); // null: not open
            DrWorker worker = new DrWorker(own, ownXdp, macs, new WorkerState(publisher, w, workerCount), publisher, s,
                    options.flowsPerWorker(), plane.local, plane.inherited);
            worker.hold(options.startHeld()); // before its thread starts: not one frame forwarded while held
            workers.add(worker);
        }
        for (DrWorker worker : workers) {
            FlowChangeRing ring = new FlowChangeRing(CHANGE_RING_SLOTS);
            worker.changeListener(ring); // before the worker's thread starts: its table is then the worker's alone
            plane.changeRings.add(ring);
        }
        plane.runningWorkers.set(workers.size());
        for (int i = 0; i < workers.size(); i++) {
            DrWorker worker = workers.get(i);
            Thread t = Thread.ofPlatform().name("lbd-dr-" + i).daemon(true).start(() -> plane.runWorker(worker));
            plane.threads.add(t);
        }
        return plane;
    }

    /**
     * Any thread: the workers stop forwarding and answering ARP/ND ({@code true}: every frame they receive is
     * dropped and counted as {@code dropped-held}), or forward again ({@code false}). An upgrade holds the old
     * process's workers before it saves their connections, and starts the new one's held until it has restored
     * them: both processes' sockets get every frame (each is a fanout group of its own), and two data planes
     * forwarding at once could schedule one SYN to two real servers. A {@link #close} does not need it.
     */
    public void hold(boolean hold) {
        synchronized (lifecycle) {
            holdWhileOpen(hold);
        }
    }

    private void holdWhileOpen(boolean hold) {
        if (closed) {
            return;
        }
        for (DrWorker w : workers) {
            w.hold(hold);
        }
        XdpReceive x = xdp;
        if (x != null) {
            synchronized (x) {
                try {
                    if (hold) {
                        releaseXdp(x);
                    } else {
                        takeXdp(x);
                    }
                } catch (RuntimeException e) {
                    xdpRefusal = e.getMessage(); // the workers hold or forward all the same
                }
            }
        }
    }

    /**
     * Held: the frames go to the packet sockets, where another process (an upgrade's) sees them too, and the AF_XDP
     * sockets are closed once the workers have let go of them, so that the other process can have the queues.
     */
    private void releaseXdp(XdpReceive x) {
        x.attached(false);
        if (x.socketsOpen()) {
            handXdpSockets(w -> new XdpSocket[interfaces.size()]);
            x.closeSockets();
        }
    }

    /** Released: the AF_XDP sockets open again (when another process had the queues, as soon as it lets go). */
    private void takeXdp(XdpReceive x) {
        try {
            x.openSockets();
            handXdpSockets(x::socketsOf);
            x.attached(true);
            xdpRefusal = null;
        } catch (RuntimeException e) {
            xdpRefusal = e.getMessage(); // the packet sockets take every frame
            handXdpSockets(w -> new XdpSocket[interfaces.size()]);
            x.attached(false);
            x.closeSockets();
        }
    }

    /** Gives each worker its AF_XDP sockets and waits until every running worker uses them (bounded). */
    private void handXdpSockets(java.util.function.IntFunction<XdpSocket[]> socketsOf) {
        List<java.util.concurrent.CompletableFuture<Void>> taken = new ArrayList<>();
        for (int w = 0; w < workers.size(); w++) {
            taken.add(workers.get(w).useXdpSockets(socketsOf.apply(w)));
        }
        for (int w = 0; w < taken.size(); w++) {
            if (!threads.isEmpty() && threads.get(w).isAlive()) {
                try {
                    taken.get(w).get(2, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new DrSystemException("DR worker " + w + " did not take its AF_XDP sockets within 2 s");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DrSystemException("interrupted while the DR workers took their AF_XDP sockets");
                }
            }
        }
    }

    /**
     * How the workers receive the services' frames, for the start-up log line: "AF_XDP (eth0 queue 0), the rest
     * through TPACKET_V3 rings", or the packet sockets alone with, when AF_XDP was asked for, the kernel's reason
     * for refusing it.
     */
    public String receivePath() {
        String packet = receivesThroughRings() ? "TPACKET_V3 rings" : "recvmsg";
        XdpReceive x = xdp;
        if (x != null && x.attached()) {
            return "AF_XDP (" + x.describe() + "), the rest through " + packet;
        }
        return xdpRefusal == null ? packet : packet + "; AF_XDP refused: " + xdpRefusal;
    }

    /** Why AF_XDP, asked for, is not in use (the kernel's refusal), or null. */
    public String xdpRefusal() {
        return xdpRefusal;
    }

    /** Control-plane thread: the AF_XDP programs take exactly these services' frames (when AF_XDP is on). */
    public void followServices(Collection<VirtualServiceKey> services) {
        if (xdp != null) {
            xdp.follow(services);
        }
    }

    /**
     * This process's first PACKET_FANOUT group id (interface i uses {@code first + i}): its pid's low 16 bits,
     * moved on while the ids of its {@code interfaces} would meet an ancestor's. The new process of an upgrade is
     * a descendant of the old one, whose sockets stay open until it exits: in the same group on the same interface
     * (ids are per network namespace) the kernel would split the VIPs' frames between the two processes, and the
     * old one, held, would drop its share; the same id on another interface would make the kernel refuse the join.
     */
    static int fanoutGroup(ProcessHandle self, int interfaces) {
        java.util.Set<Integer> taken = new HashSet<>();
        for (Optional<ProcessHandle> p = self.parent(); p.isPresent(); p = p.get().parent()) {
            int first = (int) (p.get().pid() & 0xffff);
            for (int i = 0; i < interfaces; i++) {
                taken.add((first + i) & 0xffff);
            }
        }
        int group = (int) (self.pid() & 0xffff);
        while (overlaps(taken, group, interfaces)) {
            group = (group + 1) & 0xffff;
        }
        return group;
    }

    static int fanoutGroup(ProcessHandle self) {
        return fanoutGroup(self, 1);
    }

    private static boolean overlaps(java.util.Set<Integer> taken, int first, int interfaces) {
        for (int i = 0; i < interfaces; i++) {
            if (taken.contains((first + i) & 0xffff)) {
                return true;
            }
        }
        return false;
    }

    /** True when every worker receives through a TPACKET_V3 memory-mapped ring (false: recvmsg fallback). */
    public boolean receivesThroughRings() {
        return sockets.stream().allMatch(PacketSocket::hasRing);
    }

    /** The ingress interfaces' names, e.g. "eth0, eth1" (for log lines). */
    public String interfaceNames() {
        return String.join(", ", interfaces.stream().map(DrInterface::name).toList());
    }

    /** The ingress interfaces. */
    public List<DrInterface> interfaces() {
        return interfaces;
    }

    /** After each publication (owner thread): the packet filter follows the directory's VIPs. */
    public void follow(DrDirectory directory) {
        Set<Integer> now = directory.vipSet();
        Set<Inet6Address> now6 = directory.vip6Set();
        if (!now.equals(filtered) || !now6.equals(filtered6)) {
            BpfFilter filter = BpfFilter.forVips(directory.vipArray(), directory.vip6Array());
            for (PacketSocket s : sockets) {
                s.attach(filter);
            }
            filtered = now;
            filtered6 = now6;
        }
        if (!now6.isEmpty()) {
            receiveAllMulticast();
        }
    }

    private void receiveAllMulticast() {
        if (!allMulticast) {
            for (PacketSocket s : sockets) {
                s.receiveAllMulticast(s.interfaceIndex());
            }
            allMulticast = true;
        }
    }

    /**
     * Owner thread: opens the TUN device {@code name} through which the workers hand connections scheduled to a
     * local gate destination to this host's stack (once; later calls return the same device). The control
     * plane then makes the kernel accept the VIPs from it (addresses, rule, route: lb-director's business).
     */
    public TunDevice enableLocalDelivery(String name) {
        TunDevice d = local.device();
        if (d == null) {
            d = TunDevice.open(name);
            local.device(d);
        }
        return d;
    }

    /** Per-counter totals over the workers, by {@link DrStats#name}. */
    public Map<String, Long> stats() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int c = 0; c < DrStats.COUNT; c++) {
            long sum = 0;
            for (DrStats s : stats) {
                sum += s.get(c);
            }
            out.put(DrStats.name(c), sum);
        }
        return out;
    }

    /** Any thread: each worker's flow table, how full it is (a plain read of the worker's count: approximate). */
    public List<FlowOccupancy> flowOccupancy() {
        List<FlowOccupancy> out = new ArrayList<>(workers.size());
        for (int i = 0; i < workers.size(); i++) {
            out.add(new FlowOccupancy(i, workers.get(i).flowCount(), workers.get(i).flowCapacity()));
        }
        return out;
    }

    /**
     * Any thread: every worker's flows as IPVS lists them, at most {@code limit} per worker, each worker
     * describing its own between two batches; a worker that does not answer within {@code wait} is left out
     * (its flows counted as not listed). Then the connections inherited and not yet taken by a worker (a backup's
     * synchronised ones, as IPVS's backup lists them). One listing at a time.
     */
    public synchronized List<ConnectionEntries> connections(int limit, java.time.Duration wait) {
        List<java.util.concurrent.CompletableFuture<ConnectionEntries>> asked = new ArrayList<>();
        for (DrWorker w : workers) {
            asked.add(w.listConnections(limit));
        }
        long deadline = System.nanoTime() + wait.toNanos();
        List<ConnectionEntries> answers = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            try {
                answers.add(asked.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                answers.add(new ConnectionEntries(List.of(), workers.get(i).flowCount()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answers.add(new ConnectionEntries(List.of(), workers.get(i).flowCount()));
            }
        }
        answers.add(inherited.describe(limit, FlowHandOver.nowMillis()));
        return answers;
    }

    /** Connections scheduled elsewhere (saved, handed over, synced), waiting for their first packet here. */
    public InheritedFlows inherited() {
        return inherited;
    }

    /**
     * Each worker's changes for a backup director (new ESTABLISHED connections, closing ones, refreshes); off until
     * the connection sync enables them.
     */
    public List<FlowChangeRing> changeRings() {
        return List.copyOf(changeRings);
    }

    /** Drops the inherited connections whose timers ran out without a packet (control plane, now and then). */
    public int expireInherited() {
        return inherited.expire(FlowHandOver.nowMillis());
    }

    SnapshotPublisher publisher() {
        return publisher;
    }

    List<DrWorker> workers() {
        return workers;
    }

    /** The workers' states, for summing counters into listings. */
    public List<WorkerState> workerStates() {
        return workers.stream().map(DrWorker::state).toList();
    }

    /** A worker's thread: the worker, then, if the plane was closed before it ended and it is the last, the release. */
    private void runWorker(DrWorker worker) {
        try {
            worker.run();
        } finally {
            if (runningWorkers.decrementAndGet() == 0 && closed) {
                release();
            }
        }
    }

    /**
     * Stops the workers and gives back the sockets, their rings and the tunnel device. The AF_XDP programs are
     * detached at once. A worker that has not stopped within {@link #STOP_WAIT_MILLIS} (its thread held up: a long
     * pause, a slow answer to a listing) still reads its rings and writes through its sockets: unmapped under it, the
     * next frame would crash the process, and a closed descriptor's number may already be another file's. So then the
     * last worker to end gives them back, and the close returns without them.
     */
    @Override
    public void close() {
        synchronized (lifecycle) { // not while a hold or release hands the workers their AF_XDP sockets
            closed = true;
        }
        XdpReceive x = xdp;
        if (x != null) {
            x.attached(false); // the services' frames go back to the kernel's path and the packet sockets now
        }
        workers.forEach(DrWorker::stop);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int running = runningWorkers.get();
        if (running == 0) {
            release();
        } else {
            LOG.warn("direct routing: {} of {} DR workers did not stop within {} ms; their sockets and rings are "
                    + "given back when the last of them ends", running, workers.size(), STOP_WAIT_MILLIS);
        }
    }

    /** Once, after every worker has ended: closes the packet sockets, the AF_XDP path and the tunnel device. */
    private void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        sockets.forEach(PacketSocket::close);
        XdpReceive x = xdp;
        if (x != null) {
            x.close();
        }
        TunDevice d = local.device();
        if (d != null) {
            local.device(null);
            d.close();
        }
    }

}
