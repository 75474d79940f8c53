package lbd.director.core;

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
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrDataPlane;
import lbd.dataplane.dr.DrOptions;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct-routing (gate) data path as the control plane drives it. {@link DrDataPlane} wants one owner
 * thread, and resolving a real server's MAC may wait for ARP replies, so the plane gets its own thread
 * ("lbd-dr"): the conductor hands it work and gets results back as messages on its inbox; it
 * waits for the DR thread only at start-up, where a refusal must stop lbd.
 *
 * <p>MAC hold: a gate real server whose MAC the last resolution could not find is held down with that reason
 * — schedulable only when health says up AND the MAC is known — and comes back when a later resolution
 * (after each publication, and every {@link #RESOLVE_INTERVAL}) finds it.
 *
 * <p>Control thread only, except {@link #workerStates} and {@link #frameCounters} (any thread).
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
    private volatile List<RealServerKey> gateServers = List.of(); // written by control, read by the DR thread
    private volatile DrDataPlane plane;

    // ---- control thread ----
    private volatile ScheduledExecutorService owner; // read by close() on the shutdown thread
    private final Set<VirtualServiceKey> serving = new HashSet<>();
    private final Map<InetAddress, Boolean> answering = new HashMap<>();
    private Map<RealServerKey, String> held = Map.of();

    /**
     * @param options   the DR options (interface, workers, whether to answer ARP from the start)
     * @param control      the conductor's inbox, where results of the DR thread land as messages
     * @param holdsChanged conductor thread: these servers' MAC hold changed (their tables need rebuilding)
     */
    DrBinding(SnapshotPublisher publisher, DrOptions options, Executor control,
            Consumer<Set<RealServerKey>> holdsChanged) {
        this.publisher = publisher;
        this.options = options;
        this.control = control;
        this.holdsChanged = holdsChanged;
    }

    /**
     * After every publication: starts the DR data plane on the first gate service (throws
     * {@link DirectorException} with its refusal), adds and removes services as a diff, resolves MACs.
     */
    void afterPublish(ClusterConfig effective) {
        Set<VirtualServiceKey> wanted = new LinkedHashSet<>();
        List<RealServerKey> servers = new ArrayList<>();
        gateServices(effective, wanted, servers);
        gateServers = List.copyOf(servers);
        if (plane == null) {
            if (!wanted.isEmpty()) {
                start(wanted, servers);
            }
            return;
        }
        for (VirtualServiceKey key : Set.copyOf(serving)) {
            if (!wanted.contains(key)) {
                serving.remove(key);
                onDrThread(p -> p.removeService(key));
                log.info("{}: direct routing stopped (removed from the configuration)", key);
            }
        }
        for (VirtualServiceKey key : wanted) {
            if (serving.add(key)) {
                onDrThread(p -> p.addService(key));
                log.info("{}: direct routing on {}", key, plane.interfaceName());
            }
        }
        requestResolve();
    }

    /**
     * Before a reload takes effect (control thread): when {@code next} brings the first gate service, starts the
     * DR data plane now, so that a refusal (throws {@link DirectorException}) refuses the whole reload while the
     * running configuration is still in place. The new services' tables follow with the reload's publication.
     */
    void prepare(ClusterConfig next) {
        if (plane != null) {
            return;
        }
        Set<VirtualServiceKey> wanted = new LinkedHashSet<>();
        List<RealServerKey> servers = new ArrayList<>();
        gateServices(next, wanted, servers);
        if (!wanted.isEmpty()) {
            start(wanted, servers);
        }
    }

    /** The gate services of {@code cfg} and their real servers (fallback included when it is gate too). */
    private static void gateServices(ClusterConfig cfg, Set<VirtualServiceKey> wanted, List<RealServerKey> servers) {
        for (VirtualService vs : cfg.virtualServices()) {
            if (vs.forwarding() == ForwardingMethod.GATE) {
                wanted.add(vs.key());
                for (RealServer rs : vs.realServers()) {
                    servers.add(rs.key());
                }
                vs.fallback().filter(f -> f.forwarding() == ForwardingMethod.GATE).ifPresent(f -> servers.add(f.key()));
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
        if (plane != null) {
            Set<InetAddress> copy = Set.copyOf(vips);
            onDrThread(p -> p.setAnswering(copy, answer));
        }
    }

    /** The DR workers' states, for summing counters (empty while no gate service runs). Any thread. */
    /** The DR workers' frame counters summed, by name (forwarded, dropped-…); empty without a gate service. */
    Map<String, Long> frameCounters() {
        DrDataPlane p = plane;
        return p == null ? Map.of() : p.stats();
    }

    List<WorkerState> workerStates() {
        DrDataPlane p = plane;
        return p == null ? List.of() : p.workerStates();
    }

    private void start(Set<VirtualServiceKey> services, List<RealServerKey> servers) {
        DrOptions opts = options;
        if (opts.interfaceName().isEmpty()) {
            // Every server may still be unchecked (out of the tables): route towards the configured ones.
            opts = opts.withInterface(DrDataPlane.interfaceReaching(
                    servers.stream().map(k -> k.address().hostAddress()).toList()));
        }
        owner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lbd-dr");
            t.setDaemon(true);
            return t;
        });
        DrOptions startOptions = opts;
        Set<VirtualServiceKey> keys = Set.copyOf(services);
        Map<InetAddress, Boolean> told = Map.copyOf(answering);
        Future<DrDataPlane> started = owner.submit(() -> {
            DrDataPlane p = DrDataPlane.start(startOptions, publisher, keys);
            // What HA said before the plane existed (it starts with the options' default).
            told.forEach((vip, answer) -> p.setAnswering(Set.of(vip), answer));
            return p;
        });
        try {
            plane = started.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
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
        serving.addAll(keys);
        log.info("direct routing on {} ({} workers, {}): {}", startOptions.interfaceName().orElseThrow(),
                startOptions.workers(), plane.receivesThroughRings() ? "TPACKET_V3 rings" : "recvmsg", keys);
        long every = RESOLVE_INTERVAL.toMillis();
        owner.scheduleWithFixedDelay(this::requestResolve, every, every, TimeUnit.MILLISECONDS);
        requestResolve();
    }

    /** Any thread: one resolution at a time is queued on the DR thread; requests meanwhile join it. */
    private void requestResolve() {
        if (plane != null && resolvePending.compareAndSet(false, true)) {
            onDrThread(p -> {
                resolvePending.set(false);
                List<RealServerKey> servers = gateServers;
                Map<RealServerKey, String> unresolved = Map.copyOf(p.resolveRealServers(servers));
                control.execute(() -> applyResolved(unresolved));
            });
        }
    }

    private void applyResolved(Map<RealServerKey, String> unresolved) {
        if (unresolved.equals(held)) {
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
        held = unresolved;
        holdsChanged.accept(changed);
    }

    private void onDrThread(Consumer<DrDataPlane> task) {
        ScheduledExecutorService o = owner;
        DrDataPlane p = plane;
        if (o == null || p == null || o.isShutdown()) {
            return;
        }
        o.execute(() -> {
            try {
                task.accept(p);
            } catch (RuntimeException e) {
                log.error("direct routing: {}", e.getMessage());
            }
        });
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
                o.submit(p::close).get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
                log.warn("direct routing did not stop cleanly: {}", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        o.shutdownNow();
    }
}
