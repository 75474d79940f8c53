package lbd.director.core;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.nat.NatProxy;
import lbd.dataplane.nat.NatSettings;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.health.HealthEvent;
import lbd.health.HealthListener;
import lbd.health.HealthMonitor;
import lbd.health.HealthState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane. One thread ("lbd-control") owns the desired state — the configuration, the health
 * verdicts, the operator's run-time edits — and is the only writer of data-plane tables: every change
 * (reload, health transition, lbadm edit) rebuilds the tables and publishes one new immutable snapshot.
 * Health callbacks and requests from other threads are queued onto that thread; nothing here locks.
 */
public final class Director implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final ExecutorService control = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lbd-control");
        t.setDaemon(true);
        return t;
    });
    private final SnapshotPublisher publisher = new SnapshotPublisher();
    private final NatProxy nat;
    private final HealthMonitor health;

    // ---- owned by the control thread ----
    private ClusterConfig config;
    private final Map<RealServerKey, RealServerState> states = new HashMap<>();
    private final Map<VirtualServiceKey, Boolean> fallbackActive = new HashMap<>();
    private final RuntimeEdits edits = new RuntimeEdits();
    private final Set<VirtualServiceKey> listening = new HashSet<>();
    private long version;

    private Director(ClusterConfig config, Transport transport, int eventLoops) {
        this.config = config;
        this.nat = new NatProxy(new NatSettings(transport, eventLoops, Duration.ofSeconds(10)), publisher);
        this.health = new HealthMonitor(new HealthListener() {
            @Override
            public void onTransition(HealthEvent event) {
                control.execute(() -> applyHealth(event));
            }

            @Override
            public void onFallback(VirtualServiceKey service, boolean active) {
                // The director derives the fallback from the verdicts itself; the event is logged by lb-health.
            }
        });
    }

    /**
     * Starts the data plane on {@code config}: binds every masq VIP, starts the health checks, publishes the
     * first tables. Throws {@link DirectorException} with an operator-facing message when it cannot.
     */
    public static Director start(ClusterConfig config, Transport transport, int eventLoops) {
        Director d = new Director(config, transport, eventLoops);
        try {
            d.nat.start();
            d.<Void>onControl(() -> {
                d.initStates(config);
                d.syncListeners(config);
                d.publish("start");
                return null;
            });
            d.health.start();
            d.health.apply(config);
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    public SnapshotPublisher publisher() {
        return publisher;
    }

    public NatProxy nat() {
        return nat;
    }

    /** Applies a new configuration as a diff; unchanged real servers keep their health and counters. */
    public void reload(ClusterConfig next) {
        Objects.requireNonNull(next, "next");
        onControl(() -> {
            ClusterConfig previous = config;
            config = next;
            edits.clear();
            Set<RealServerKey> keep = new HashSet<>();
            for (VirtualService vs : next.virtualServices()) {
                for (RealServer rs : vs.realServers()) {
                    keep.add(rs.key());
                }
            }
            states.keySet().retainAll(keep);
            initStates(next);
            syncListeners(next);
            publish("reload");
            logReloadDiff(previous, next);
            return null;
        });
        health.apply(next);
    }

    /** Runs {@code task} on the control thread and waits for it (bounded), rethrowing its failure. */
    public <T> T onControl(Callable<T> task) {
        Future<T> f = control.submit(task);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new DirectorException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new DirectorException("the control plane did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirectorException("interrupted", e);
        }
    }

    /** Control thread: the health verdict of every real server, for listings. */
    public RealServerState state(RealServerKey key) {
        return states.getOrDefault(key, RealServerState.UNCHECKED);
    }

    public ClusterConfig config() {
        return config;
    }

    private void initStates(ClusterConfig cfg) {
        for (VirtualService vs : cfg.virtualServices()) {
            boolean alwaysUp = vs.healthCheck().type() == CheckType.ON;
            for (RealServer rs : vs.realServers()) {
                states.putIfAbsent(rs.key(), alwaysUp ? RealServerState.ALWAYS_UP : RealServerState.UNCHECKED);
            }
        }
    }

    private void applyHealth(HealthEvent event) {
        RealServerState before = states.get(event.server());
        if (before == null) {
            return; // removed by a reload while the check was in flight
        }
        boolean up = event.state() == HealthState.UP;
        states.put(event.server(), new RealServerState(up, event.reason()));
        publish("health " + event.server().address() + " " + event.state().word());
    }

    private void syncListeners(ClusterConfig cfg) {
        Set<VirtualServiceKey> wanted = new HashSet<>();
        for (VirtualService vs : cfg.virtualServices()) {
            if (vs.forwarding() == ForwardingMethod.MASQ) {
                wanted.add(vs.key());
            }
        }
        for (VirtualServiceKey key : Set.copyOf(listening)) {
            if (!wanted.contains(key)) {
                nat.stopListening(key);
                listening.remove(key);
                log.info("{}: no longer accepting (removed from the configuration); open connections finish", key);
            }
        }
        for (VirtualServiceKey key : wanted) {
            if (!listening.contains(key)) {
                try {
                    nat.listen(key);
                } catch (java.io.IOException e) {
                    throw new DirectorException(key + ": cannot accept connections: " + e.getMessage(), e);
                }
                listening.add(key);
            }
        }
    }

    private void publish(String why) {
        Map<VirtualServiceKey, ServiceTable> tables = new LinkedHashMap<>();
        for (VirtualService vs : config.virtualServices()) {
            ServiceTable table = TableFactory.build(vs, states, edits);
            tables.put(vs.key(), table);
            boolean fallbackNow = table.fallback().isPresent()
                    && table.destinations().stream().noneMatch(d -> d.weight() > 0);
            Boolean was = fallbackActive.put(vs.key(), fallbackNow);
            if (fallbackNow && !Boolean.TRUE.equals(was)) {
                log.warn("{}: every real server is down; sending new connections to fallback {}", vs.key(),
                        table.fallback().get().address());
            } else if (!fallbackNow && Boolean.TRUE.equals(was)) {
                log.info("{}: a real server is back; fallback {} withdrawn", vs.key(),
                        vs.fallback().map(RealServer::address).map(Object::toString).orElse("?"));
            }
        }
        version++;
        publisher.publish(new DataPlaneSnapshot(version, tables));
        log.debug("published tables v{} ({})", version, why);
    }

    private static void logReloadDiff(ClusterConfig previous, ClusterConfig next) {
        int added = 0;
        int removed = 0;
        for (VirtualService vs : next.virtualServices()) {
            if (previous.find(vs.key()).isEmpty()) {
                added++;
            }
        }
        for (VirtualService vs : previous.virtualServices()) {
            if (next.find(vs.key()).isEmpty()) {
                removed++;
            }
        }
        log.info("configuration reloaded: {} virtual services ({} added, {} removed)",
                next.virtualServices().size(), added, removed);
    }

    /** Stops accepting, lets open connections drain up to {@code drain}, then closes everything. */
    public void shutdown(Duration drain) {
        health.close();
        nat.shutdown(drain);
        control.shutdownNow();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
