package lbd.director.core;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import lbd.config.model.ClusterConfig;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import java.nio.file.Path;
import lbd.dataplane.dr.DrDataPlane;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.dataplane.dr.DrStateFile;
import lbd.dataplane.dr.FlowHandOver;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.DrOptions;
import lbd.dataplane.dr.DrStartupException;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.Egress;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import lbd.dataplane.dr.packet.Net;
import lbd.director.dr.BoundInterfaces;
import lbd.director.dr.DrHost;
import lbd.director.dr.LocalNode;
import lbd.director.dr.EgressResolver;
import lbd.director.dr.KernelCopyDrop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct-routing (gate, ipip) data path as the control plane drives it. What the DR workers read — the
 * tables with each server's {@link Egress} (interface, MACs, tunnel addresses), and the {@link DrDirectory} (VIPs,
 * ARP answering) — is conductor state, kept here and published in the conductor's one snapshot. The plane's host
 * work (packet filter, gratuitous ARP, route and neighbour resolution, which may wait for ARP replies) runs on its
 * own thread ("lbd-dr"): the conductor hands it work after each publication and gets resolutions back as messages
 * on its inbox; it waits for the DR thread only at start-up, where a refusal must stop lbd.
 *
 * <p>MAC hold: a gate or ipip real server whose egress the last resolution could not find (the MAC of the
 * server or of the next hop towards it, or a route that cannot work) is held down with that reason —
 * schedulable only when health says up AND the egress is known — and comes back when a later resolution
 * (after each change of the configuration, and every {@link #RESOLVE_INTERVAL}) finds it.
 *
 * <p>Conductor thread only, except {@link #workerStates} and {@link #frameCounters} (any thread).
 */
final class DrBinding implements AutoCloseable {

    static final Duration RESOLVE_INTERVAL = Duration.ofSeconds(5);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final SnapshotPublisher publisher;
    private final Executor control;
    private final Consumer<Set<RealServerKey>> holdsChanged;
    private final DrOptions options;
    private final AtomicBoolean resolvePending = new AtomicBoolean();
    private volatile List<RealServer> drServers = List.of(); // written by the conductor, read by lbd-dr
    private volatile DrDataPlane plane;
    private volatile ScheduledExecutorService owner; // read by close() on the shutdown thread
    private volatile boolean workersHeld; // the workers neither forward nor answer ARP (an upgrade's hand-over)
    // ---- lbd-dr thread ----
    private EgressResolver neighbours;
    private BoundInterfaces boundInterfaces; // whether the interfaces bound at start are still those (see there)
    private LocalNode localNode;
    private KernelCopyDrop kernelCopy; // null when the kernel's copy cannot be dropped (logged once)
    private boolean closed; // the plane and sockets are closed: tasks still queued do nothing
    private Set<Integer> drVips = Set.of(); // the VIPs of the directory last followed
    private Set<Integer> announced = Set.of(); // the VIPs announced with gratuitous ARP and answered for
    private Set<Inet6Address> announced6 = Set.of(); // the same for IPv6 (unsolicited neighbour advertisements)

    // ---- conductor thread ----
    private Set<VirtualServiceKey> services = Set.of();
    private final Map<InetAddress, Boolean> answering = new HashMap<>();
    private Map<RealServerKey, Egress> egress = Map.of();
    private Map<RealServerKey, String> held = Map.of();
    private DrDirectory directory = DrDirectory.EMPTY;
    private boolean directoryChanged;
    private boolean sloppyTcp; // sloppytcp=: schedule mid-flow packets of unknown connections

    /**
     * @param options      the DR options (interface, workers, whether to answer ARP until HA says otherwise)
     * @param control      the conductor's inbox, where results of the DR thread land as messages
     * @param holdsChanged conductor thread: these servers' MAC or hold changed (their tables need rebuilding)
     */
    DrBinding(SnapshotPublisher publisher, DrOptions options, Executor control,
            Consumer<Set<RealServerKey>> holdsChanged) {
        this.publisher = publisher;
        this.options = options;
        this.control = control;
        this.holdsChanged = holdsChanged;
        this.workersHeld = options.startHeld();
    }

    /** The effective configuration changed: the gate services and servers to serve and resolve. */
    void configure(ClusterConfig effective) {
        Set<VirtualServiceKey> wanted = new LinkedHashSet<>();
        List<RealServer> servers = new ArrayList<>();
        gateServices(effective, wanted, servers);
        drServers = List.copyOf(servers);
        if (effective.globals().sloppyTcp() != sloppyTcp) {
            sloppyTcp = effective.globals().sloppyTcp();
            log.info("direct routing: a packet that is not a SYN, of a connection no worker knows, is {}",
                    sloppyTcp ? "scheduled (sloppytcp=yes)" : "dropped (sloppytcp=no)");
            rebuildDirectory();
        }
        if (!wanted.equals(services)) {
            for (VirtualServiceKey key : services) {
                if (!wanted.contains(key)) {
                    log.info("{}: direct routing stopped (removed from the configuration)", key);
                }
            }
            DrDataPlane p = plane;
            for (VirtualServiceKey key : wanted) {
                if (p != null && !services.contains(key)) {
                    log.info("{}: direct routing, receiving on {}", key, p.interfaceNames());
                }
            }
            services = Set.copyOf(wanted);
            rebuildDirectory();
        }
    }

    /** The directory to publish; {@link #takeDirectoryChanged} says whether it changed since last taken. */
    DrDirectory directory() {
        return directory;
    }

    boolean takeDirectoryChanged() {
        boolean changed = directoryChanged;
        directoryChanged = false;
        return changed;
    }

    /** Where a gate or ipip server's packets go, as last resolved; {@link Egress#UNRESOLVED} when not (yet). */
    Egress egress(RealServerKey key) {
        return egress.getOrDefault(key, Egress.UNRESOLVED);
    }

    /**
     * After a publication: starts the DR data plane on the first gate service (throws {@link DirectorException}
     * with its refusal), has it follow the published directory (filter, announcements), resolves MACs.
     */
    void afterPublish(DataPlaneSnapshot published) {
        if (plane == null) {
            if (services.isEmpty()) {
                return;
            }
            start(services, drServers);
        }
        DrDirectory dir = published.directRouting();
        Set<VirtualServiceKey> keys = services;
        onDrThread(p -> {
            if (closed) {
                return;
            }
            p.follow(dir);
            dropKernelCopy(keys);
            takeThroughXdp(p, keys);
            drVips = dir.vipSet();
            if (localNode.isUp()) {
                localNode.follow(drVips);
            }
            announceNewlyAnswered(dir);
        });
        requestResolve();
    }

    /**
     * Before a reload takes effect (conductor thread): when {@code next} brings the first gate service, starts the
     * DR data plane now, so that a refusal (throws {@link DirectorException}) refuses the whole reload while the
     * running configuration is still in place. The new services' tables follow with the reload's publication.
     */
    void prepare(ClusterConfig next) {
        if (plane != null) {
            return;
        }
        Set<VirtualServiceKey> wanted = new LinkedHashSet<>();
        List<RealServer> servers = new ArrayList<>();
        gateServices(next, wanted, servers);
        if (!wanted.isEmpty()) {
            start(wanted, servers);
        }
    }

    /**
     * The gate and ipip services of {@code cfg} and their real servers (fallback included when it is gate or ipip
     * too).
     */
    private static void gateServices(ClusterConfig cfg, Set<VirtualServiceKey> wanted, List<RealServer> servers) {
        for (VirtualService vs : cfg.virtualServices()) {
            if (vs.forwarding().directRouted()) {
                wanted.add(vs.key());
                servers.addAll(vs.realServers());
                vs.fallback().filter(f -> f.forwarding().directRouted()).ifPresent(servers::add);
            }
        }
    }

    /** Health combined with the MAC hold: the MAC problem wins, since it is what keeps the server out. */
    RealServerState effective(RealServerKey key, RealServerState health) {
        String reason = held.get(key);
        return reason == null ? health : new RealServerState(false, reason);
    }

    /** The HA switch: answer ARP for these DR VIPs (active node) or leave them to the peer (backup). */
    void answerArp(Set<? extends InetAddress> vips, boolean answer) {
        for (InetAddress vip : vips) {
            answering.put(vip, answer);
        }
        rebuildDirectory();
    }

    private void rebuildDirectory() {
        Set<InetAddress> silent = new HashSet<>();
        for (VirtualServiceKey key : services) {
            InetAddress vip = key.address().address();
            if (!answering.getOrDefault(vip, options.answerArp())) {
                silent.add(vip);
            }
        }
        directory = DrDirectory.of(services, silent, sloppyTcp);
        directoryChanged = true;
    }

    /** The DR workers' frame counters summed, by name (forwarded, dropped-…); empty without a gate service. */
    Map<String, Long> frameCounters() {
        DrDataPlane p = plane;
        return p == null ? Map.of() : p.stats();
    }

    /**
     * Conductor thread: each gate real server's neighbour (ARP/ND) state: true when its MAC is resolved (or it is
     * this host), false while it is held down for want of one. Empty without a gate or ipip service.
     */
    Map<RealServerKey, Boolean> neighbourStates() {
        Map<RealServerKey, Boolean> out = new HashMap<>();
        egress.keySet().forEach(k -> out.put(k, true));
        held.keySet().forEach(k -> out.put(k, false));
        return Map.copyOf(out);
    }

    /** Any thread: each DR worker's flow table occupancy (empty without a gate service). */
    List<FlowOccupancy> flowOccupancy() {
        DrDataPlane p = plane;
        return p == null ? List.of() : p.flowOccupancy();
    }

    /** The DR workers' flows as IPVS lists them, at most {@code limit} per worker (none without a gate service). */
    List<ConnectionEntries> connections(int limit, Duration wait) {
        DrDataPlane p = plane;
        return p == null ? List.of() : p.connections(limit, wait);
    }

    /** The DR workers' states, for summing counters (empty while no gate service runs). Any thread. */
    List<WorkerState> workerStates() {
        DrDataPlane p = plane;
        return p == null ? List.of() : p.workerStates();
    }

    /**
     * lbd-dr thread: each VIP lbd now answers ARP for that it did not before (new, or HA made this node active)
     * is announced with gratuitous ARP, so that neighbours update their caches.
     */
    private void announceNewlyAnswered(DrDirectory dir) {
        Set<Integer> answering = dir.arpAnsweredVips();
        for (int vip : answering) {
            if (!announced.contains(vip)) {
                neighbours.announce(vip);
            }
        }
        announced = answering;
        Set<Inet6Address> answering6 = dir.ndAnsweredVips();
        for (Inet6Address vip : answering6) {
            if (!announced6.contains(vip)) {
                neighbours.announce(vip); // an unsolicited neighbour advertisement
            }
        }
        announced6 = answering6;
    }

    private void start(Set<VirtualServiceKey> keys, List<RealServer> servers) {
        owner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lbd-dr");
            t.setDaemon(true);
            return t;
        });
        Set<VirtualServiceKey> startKeys = Set.copyOf(keys);
        List<RealServer> startServers = List.copyOf(servers);
        Future<DrDataPlane> started = owner.submit(() -> {
            // The host, then every configured server's route: what cannot work is refused now, all of it at once.
            List<String> problems = new ArrayList<>();
            List<DrInterface> ingress = List.of();
            try {
                ingress = DrHost.probe(options.interfaces(), startKeys);
            } catch (DrStartupException e) {
                problems.add(e.getMessage());
            }
            problems.addAll(EgressResolver.problems(startServers));
            if (!problems.isEmpty()) {
                throw new DrStartupException(String.join("\n", problems));
            }
            DrDataPlane p = DrDataPlane.start(ingress, options.withStartHeld(workersHeld), publisher, startKeys);
            try {
                neighbours = new EgressResolver(ingress);
                boundInterfaces = BoundInterfaces.ofHost(ingress);
                localNode = new LocalNode(p);
                kernelCopy = openKernelCopyDrop(ingress);
                Set<Integer> vips = new HashSet<>();
                startKeys.stream().filter(k -> k.address().isIpv4())
                        .forEach(k -> vips.add(Net.ipv4(k.address().address().getAddress())));
                drVips = Set.copyOf(vips);
            } catch (RuntimeException e) {
                p.close();
                if (kernelCopy != null) {
                    kernelCopy.close(); // its table is named after the process: a later start makes it again
                    kernelCopy = null;
                }
                throw e;
            }
            return p;
        });
        try {
            plane = started.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            plane.hold(workersHeld); // a hold or release while it started
        } catch (ExecutionException e) {
            owner.shutdownNow();
            owner = null;
            throw new DirectorException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            owner.shutdownNow();
            owner = null;
            throw new DirectorException("the DR data plane did not start within " + START_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirectorException("interrupted while starting the DR data plane", e);
        }
        log.info("direct routing, receiving on {} ({} workers tracking up to {} connections each, {}): {}",
                plane.interfaceNames(), options.workers(), options.flowsPerWorker(), plane.receivePath(), startKeys);
        warnIfXdpRefused(plane);
        // The MACs before the first tables are published, so that the first SYNs are forwarded, not dropped as
        // unresolved (bounded by the resolve timeout; later changes are picked up every RESOLVE_INTERVAL).
        List<RealServer> toResolve = List.copyOf(servers);
        try {
            applyResolved(owner.submit(() -> resolve(toResolve)).get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        } catch (ExecutionException | TimeoutException e) {
            log.warn("direct routing: the first MAC resolution failed ({}); retried every {} s", e.getMessage(),
                    RESOLVE_INTERVAL.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long every = RESOLVE_INTERVAL.toMillis();
        owner.scheduleWithFixedDelay(this::requestResolve, every, every, TimeUnit.MILLISECONDS);
        // Connections handed over (a restart, the other director) that never saw a packet here, past their timers.
        owner.scheduleWithFixedDelay(() -> plane.expireInherited(), every, every, TimeUnit.MILLISECONDS);
        // A flow table running full (a flood): one line per interval at most, from the workers' counters.
        FlowTablePressure pressure = new FlowTablePressure(log);
        long report = FlowTablePressure.INTERVAL.toMillis();
        owner.scheduleWithFixedDelay(() -> pressure.report(plane.stats(), plane.flowOccupancy()), report, report,
                TimeUnit.MILLISECONDS);
    }

    /**
     * lbd-dr thread: the rules that drop the director kernel's own copy of the services' frames at the receiving
     * interfaces' ingress ({@link KernelCopyDrop}); null, with one warning, when the kernel will not take them —
     * lbd forwards either way, the kernel then spends a failed route look-up on each frame.
     */
    private static KernelCopyDrop openKernelCopyDrop(List<DrInterface> ingress) {
        List<String> names = ingress.stream().map(DrInterface::name).toList();
        try {
            KernelCopyDrop drop = KernelCopyDrop.open(ingress);
            log.info("direct routing: the kernel's own copy of the services' frames is dropped at the ingress of {}"
                    + " (nft list table netdev {}; the table goes when lbd exits)", names, drop.table());
            return drop;
        } catch (IllegalStateException e) {
            log.warn("direct routing: cannot drop the kernel's own copy of the services' frames at ingress ({}); it"
                    + " receives each one and drops it after a route look-up, on the CPU that also hands the frame"
                    + " to lbd (needs CAP_NET_ADMIN and Linux 5.12)", e.getMessage());
            return null;
        }
    }

    /** lbd-dr thread: the drop rules follow the services; a refusal is logged and the old rules stay. */
    private void dropKernelCopy(Set<VirtualServiceKey> keys) {
        if (kernelCopy == null) {
            return;
        }
        try {
            kernelCopy.follow(keys);
        } catch (IllegalStateException e) {
            log.warn("direct routing: the kernel's copy of the services' frames: cannot change the ingress rules of"
                    + " nft table netdev {} ({}); they still drop {}", kernelCopy.table(), e.getMessage(),
                    kernelCopy.services());
        }
    }

    /** lbd-dr thread: the AF_XDP programs (xdp=yes) follow the services; a refusal is logged, the old keys stay. */
    private static void takeThroughXdp(DrDataPlane p, Set<VirtualServiceKey> keys) {
        try {
            p.followServices(keys);
        } catch (RuntimeException e) {
            log.warn("direct routing: the AF_XDP programs cannot follow the services ({}); they take the services"
                    + " they took, and the new ones reach the workers through the packet sockets", e.getMessage());
        }
    }

    /** Any thread: one resolution at a time is queued on the DR thread; requests meanwhile join it. */
    private void requestResolve() {
        if (plane != null && resolvePending.compareAndSet(false, true)) {
            onDrThread(p -> {
                resolvePending.set(false);
                if (closed) {
                    return;
                }
                boundInterfaces.changes().forEach(log::error);
                EgressResolver.Resolution resolution = resolve(drServers);
                control.execute(() -> applyResolved(resolution));
            });
        }
    }

    /**
     * lbd-dr thread: the servers' egress; a server at one of the director's own addresses needs the local delivery
     * path, set up here before its table is published (when that fails, it is held down with the reason).
     */
    private EgressResolver.Resolution resolve(List<RealServer> servers) {
        EgressResolver.Resolution r = neighbours.resolve(servers, resolveMillis());
        if (!r.egress().containsValue(Egress.LOCAL_NODE)) {
            return r;
        }
        try {
            localNode.follow(drVips);
            return r;
        } catch (RuntimeException e) {
            Map<RealServerKey, Egress> found = new HashMap<>(r.egress());
            Map<RealServerKey, String> unresolved = new HashMap<>(r.unresolved());
            r.egress().forEach((k, out) -> {
                if (out.equals(Egress.LOCAL_NODE)) {
                    found.remove(k);
                    unresolved.put(k, e.getMessage());
                }
            });
            return new EgressResolver.Resolution(found, unresolved);
        }
    }

    /** Conductor thread: the resolution's egress goes into the tables; unresolved servers are held down. */
    private void applyResolved(EgressResolver.Resolution resolution) {
        Map<RealServerKey, String> unresolved = resolution.unresolved();
        if (unresolved.equals(held) && resolution.egress().equals(egress)) {
            return;
        }
        unresolved.forEach((k, why) -> {
            if (!held.containsKey(k)) {
                log.warn("{}: held down: {}", k, why);
            }
        });
        held.keySet().forEach(k -> {
            if (!unresolved.containsKey(k)) {
                log.info("{}: MAC address resolved; no longer held down", k);
            }
        });
        Set<RealServerKey> changed = new HashSet<>(unresolved.keySet());
        changed.addAll(held.keySet());
        resolution.egress().forEach((k, out) -> {
            if (!out.equals(egress.get(k))) {
                changed.add(k);
            }
        });
        egress.keySet().forEach(k -> {
            if (!resolution.egress().containsKey(k)) {
                changed.add(k);
            }
        });
        held = unresolved;
        egress = resolution.egress();
        holdsChanged.accept(changed);
    }

    private long resolveMillis() {
        return options.resolveTimeout().toMillis();
    }

    private void onDrThread(Consumer<DrDataPlane> task) {
        ScheduledExecutorService o = owner;
        DrDataPlane p = plane;
        if (o == null || p == null || o.isShutdown()) {
            return;
        }
        o.execute(() -> {
            if (closed) {
                return;
            }
            try {
                task.accept(p);
            } catch (RuntimeException e) {
                log.error("direct routing: {}", e.getMessage());
            }
        });
    }

    /**
     * Any thread: writes the DR connections and persistence templates to {@code path} (nothing to write without a
     * gate service: the file then holds none). One save at a time.
     */
    synchronized FlowHandOver.Counts saveState(Path path) {
        DrDataPlane p = plane;
        if (p == null) {
            return new FlowHandOver.Counts(0, 0, 0);
        }
        return DrStateFile.save(p, path);
    }

    /**
     * Any thread: gives the DR state saved in {@code path} to the running data path (its connections wait for their
     * first packet with what is left of their timers). Nothing without a gate service.
     */
    synchronized DrStateFile.Restored restoreState(Path path) {
        DrDataPlane p = plane;
        if (p == null) {
            return new DrStateFile.Restored(new FlowHandOver.Counts(0, 0, 0),
                    java.nio.file.Files.exists(path) ? List.of("holds DR connections, but no service here is gate;"
                            + " ignored") : List.of());
        }
        return DrStateFile.restore(p, path);
    }

    /**
     * Any thread: the workers stop forwarding and answering ARP ({@code true}), or forward again; a data path
     * started later starts so too. For an upgrade's hand-over, see {@link DrDataPlane#hold}.
     */
    void hold(boolean hold) {
        workersHeld = hold;
        DrDataPlane p = plane;
        if (p != null) {
            p.hold(hold);
            if (options.xdp()) { // AF_XDP is let go of while held and taken again on release
                log.info("direct routing {}: receiving through {}", hold ? "held" : "released", p.receivePath());
                if (!hold) {
                    warnIfXdpRefused(p);
                }
            }
        }
    }

    /** A warning when xdp=yes was asked for and the kernel refused AF_XDP: at start, and after each release. */
    private void warnIfXdpRefused(DrDataPlane p) {
        if (p.xdpRefusal() != null) {
            log.warn("direct routing: xdp=yes is not in effect: {}; the workers receive every frame through their"
                    + " packet sockets", p.xdpRefusal());
        }
    }

    /** Conductor thread: whether a gate server is this director itself (local delivery through a TUN device). */
    boolean deliversLocally() {
        return egress.containsValue(Egress.LOCAL_NODE);
    }

    /** The running DR data path, null while no gate service runs (the connection sync reaches it through this). */
    DrDataPlane plane() {
        return plane;
    }

    /** Stops the workers and closes the sockets on the DR thread (bounded). */
    @Override
    public void close() {
        ScheduledExecutorService o = owner;
        DrDataPlane p = plane;
        if (o == null) {
            return;
        }
        if (p != null) {
            try {
                o.submit(() -> {
                    closed = true; // tasks queued behind this one find the sockets closed and do nothing
                    if (localNode != null) {
                        localNode.close();
                    }
                    if (kernelCopy != null) {
                        kernelCopy.close();
                    }
                    p.close();
                    if (neighbours != null) {
                        neighbours.close();
                    }
                }).get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
                log.warn("direct routing did not stop cleanly: {}", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        o.shutdownNow();
    }
}
