package lbd.health;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;

/**
 * Health checking of every real server of a {@link ClusterConfig}, as ldirectord does it.
 *
 * <p>Threads: checktype=connect servers, and negotiate HTTP checks over plain TCP, are checked by one platform
 * thread, {@link SocketCheckLoop} (non-blocking sockets and a timer wheel); every other checked real server waits
 * for its next check on the timer wheel of
 * {@link CheckScheduler}, which runs each check of its {@link ServerChecker} on a new virtual thread. Either way
 * probes of one server never overlap and a hung server delays nobody
 * else. Checkers report only what an operator can see change; probe durations are read live through
 * {@link LastCheck}. Everything else — which servers exist, their published
 * status, the per-service fallback state, listener calls — belongs to one event thread that takes messages
 * from checkers and from {@link #apply}. Readers see immutable {@link ServiceHealth} snapshots.
 *
 * <p>Reload ({@link #apply}): servers whose {@link CheckSpec} is unchanged keep their checker, state and
 * failure count (a new weight is just picked up); servers whose check settings changed get a new checker that
 * starts from their current state (so a reload never makes a healthy server flap); new servers start DOWN
 * until their first successful check (UP at once with checktype=on, unless in maintenance); removed servers stop
 * being checked. checktype=on servers have a checker only when there is a maintenancedir: it looks at nothing else.
 */
public final class HealthMonitor implements HealthView, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("lbd.health");
    private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    /** The reason of a checktype=on server's verdict, and of every check it passes. */
    static final String CHECKTYPE_ON = "checktype=on";
    /** The reason of a verdict taken because of a file in maintenancedir. */
    static final String MAINTENANCE = "maintenance";
    /** checktype=on's check, run after the maintenance look-up: it contacts nothing and passes. */
    private static final Probe CHECKTYPE_ON_PROBE = new FixedProbe(ProbeResult.up(CHECKTYPE_ON));

    private final HealthListener listener;
    private final InstantSource clock;
    private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
    private final ConcurrentSkipListMap<VirtualServiceKey, ServiceHealth> published = new ConcurrentSkipListMap<>();
    private final ExecutorService commands = Executors.newVirtualThreadPerTaskExecutor();
    private final MonitorFile monitorFile = new MonitorFile();
    private volatile Thread eventThread;

    // Owned by the event thread.
    private final Map<RealServerKey, Tracked> servers = new HashMap<>();
    private Map<VirtualServiceKey, ServiceState> services = new LinkedHashMap<>();
    private final Set<ServiceState> dirty = new LinkedHashSet<>(); // identity: ServiceState has no equals
    private final List<HealthEvent> pendingEvents = new ArrayList<>();
    private long lastCheckerId;
    // Verdicts handed over by the process before this one (lbd upgrade); each is taken by its server's first
    // tracking. Written before the first apply (whose message on the inbox publishes it to the event thread).
    private Map<RealServerKey, InheritedVerdict> inherited = new HashMap<>();
    private SocketCheckLoop socketLoop; // started with the first server it checks
    private CheckScheduler scheduler; // started with the first server of another checktype

    public HealthMonitor(HealthListener listener) {
        this(listener, InstantSource.system());
    }

    public HealthMonitor(HealthListener listener, InstantSource clock) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Starts the event thread; checks start with the first {@link #apply}. */
    public synchronized HealthMonitor start() {
        if (eventThread == null) {
            eventThread = Thread.ofPlatform().daemon().name("lbd-health").start(this::runEvents);
        }
        return this;
    }

    /**
     * The verdicts to start from ({@link InheritedVerdict}), for the servers of the first {@link #apply}: call it
     * before that apply. A server without one starts as usual; a checktype=on/off server ignores it.
     */
    public synchronized void inherit(Map<RealServerKey, InheritedVerdict> verdicts) {
        inherited = new HashMap<>(verdicts);
    }

    /**
     * Makes the checks follow {@code config} (first load or reload) and returns once the view reflects it.
     *
     * @throws IllegalStateException if not started, stopped, or called from a listener callback
     */
    public void apply(ClusterConfig config) {
        Objects.requireNonNull(config, "config");
        Thread events = eventThread;
        if (events == null) {
            throw new IllegalStateException("health monitor not started: call start() before apply()");
        }
        if (Thread.currentThread() == events) {
            throw new IllegalStateException("apply() called from a health listener callback; call it from the director's thread");
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        inbox.add(new Apply(config, done));
        await(done, APPLY_TIMEOUT, "applying the configuration to health checks");
    }

    /** Stops every check and the event thread. Commands already started by fallbackcommand finish. */
    @Override
    public void close() {
        Thread events;
        synchronized (this) {
            events = eventThread;
        }
        if (events != null && events.isAlive()) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            inbox.add(new Stop(done));
            await(done, STOP_TIMEOUT.multipliedBy(2), "stopping health checks");
            try {
                events.join(STOP_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        commands.shutdown();
        monitorFile.close();
    }

    @Override
    public Optional<ServiceHealth> service(VirtualServiceKey key) {
        return Optional.ofNullable(published.get(key));
    }

    @Override
    public Collection<ServiceHealth> services() {
        return List.copyOf(published.values());
    }

    // ---------------------------------------------------------------- event thread

    private sealed interface Message permits Report, Apply, Stop {
    }

    private record Report(CheckReport report) implements Message {
    }

    private record Apply(ClusterConfig config, CompletableFuture<Void> done) implements Message {
    }

    private record Stop(CompletableFuture<Void> done) implements Message {
    }

    /** A real server as the event thread tracks it. */
    private static final class Tracked {
        final CheckSpec spec;
        final MonitorLine monitor;
        RealServerStatus status;
        /** Which checker may report for this server (0: none); reports of retired checkers are ignored. */
        long checkerId;
        ServerChecker checker;     // a blocking check on the shared scheduler, or
        SocketCheck loopCheck;     // a check on the shared socket loop

        Tracked(CheckSpec spec, MonitorLine monitor, RealServerStatus status) {
            this.spec = spec;
            this.monitor = monitor;
            this.status = status;
        }
    }

    /** A virtual service as the event thread tracks it. */
    private static final class ServiceState {
        VirtualService config;
        boolean fallbackActive;
        final FallbackCommand fallbackCommand;

        ServiceState(VirtualService config, FallbackCommand fallbackCommand) {
            this.config = config;
            this.fallbackCommand = fallbackCommand;
        }
    }

    private void runEvents() {
        List<Message> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(inbox.take());
            } catch (InterruptedException e) {
                stopAllCheckers();
                return;
            }
            // Take whatever else is queued too: after a start or a network blip thousands of reports arrive at
            // once, and each touched service is then re-evaluated and re-published once, not once per report.
            inbox.drainTo(batch);
            for (Message message : batch) {
                switch (message) {
                    case Report r -> guarded(() -> onReport(r.report()));
                    case Apply a -> {
                        flush();
                        try {
                            onApply(a.config());
                            flush();
                            a.done().complete(null);
                        } catch (RuntimeException e) {
                            a.done().completeExceptionally(e);
                        }
                    }
                    case Stop s -> {
                        flush();
                        stopAllCheckers();
                        s.done().complete(null);
                        return;
                    }
                }
            }
            batch.clear();
            flush();
        }
    }

    private void onReport(CheckReport report) {
        Tracked tracked = servers.get(report.server());
        if (tracked == null || tracked.checkerId == 0 || tracked.checkerId != report.checkerId()) {
            return; // from a checker a reload has retired
        }
        RealServerStatus old = tracked.status;
        tracked.status = new RealServerStatus(old.server(), report.state(), report.reason(), report.maintenance(), true,
                old.timing());
        ServiceState service = services.get(report.server().service());
        if (service != null) {
            dirty.add(service);
        }
        // The first verdict is always logged once, even when it leaves the server DOWN as it started:
        // an operator must see why a server never came up.
        boolean firstVerdict = !old.checked();
        if (old.state() != report.state() || (firstVerdict && report.state() == HealthState.DOWN)
                || (report.maintenance() && !old.maintenance())) {
            pendingEvents.add(new HealthEvent(report.server(), report.state(), report.reason(), report.maintenance(),
                    clock.instant()));
        }
    }

    /** Re-evaluates and publishes every touched service, then tells the listener: the view is current first. */
    private void flush() {
        if (dirty.isEmpty() && pendingEvents.isEmpty()) {
            return;
        }
        List<ServiceState> fallbackChanges = new ArrayList<>();
        for (ServiceState state : dirty) {
            if (updateFallback(state)) {
                fallbackChanges.add(state);
            }
            publish(state);
        }
        dirty.clear();
        List<HealthEvent> events = List.copyOf(pendingEvents);
        pendingEvents.clear();
        events.forEach(this::emit);
        fallbackChanges.forEach(this::emitFallback);
    }

    private void onApply(ClusterConfig config) {
        Optional<Path> maintenanceDir = config.globals().maintenanceDir();
        Set<RealServerKey> seen = new HashSet<>();
        Map<VirtualServiceKey, ServiceState> next = new LinkedHashMap<>();
        for (VirtualService vs : config.virtualServices()) {
            ServiceState state = services.get(vs.key());
            if (state == null) {
                state = new ServiceState(vs, new FallbackCommand(commands));
            }
            state.config = vs;
            next.put(vs.key(), state);
            for (RealServer real : vs.realServers()) {
                if (!seen.add(real.key())) {
                    continue; // the same RIP:port twice in one service: the first line wins
                }
                CheckSpec spec = CheckSpec.of(vs, real, maintenanceDir);
                Tracked tracked = servers.get(real.key());
                if (tracked != null && tracked.spec.equals(spec)) {
                    tracked.status = tracked.status.withServer(real);
                    tracked.monitor.update(vs, real, spec);
                    continue;
                }
                RealServerStatus previous = tracked == null ? null : tracked.status;
                if (tracked != null) {
                    stopChecker(tracked);
                }
                servers.put(real.key(), track(spec, new MonitorLine(vs, real, spec, monitorFile), real, previous));
            }
        }
        servers.entrySet().removeIf(entry -> {
            if (seen.contains(entry.getKey())) {
                return false;
            }
            stopChecker(entry.getValue());
            return true;
        });
        for (VirtualServiceKey gone : services.keySet()) {
            if (!next.containsKey(gone)) {
                published.remove(gone);
            }
        }
        services = next;
        dirty.addAll(next.values());
    }

    private Tracked track(CheckSpec spec, MonitorLine monitor, RealServer real, RealServerStatus previous) {
        CheckType type = spec.check().type();
        HealthState was = previous == null ? null : previous.state();
        if (type == CheckType.OFF || (type == CheckType.ON && spec.maintenanceDir().isEmpty())) {
            HealthState state = type == CheckType.ON ? HealthState.UP : HealthState.DOWN;
            String reason = type == CheckType.ON ? CHECKTYPE_ON : "checktype=off";
            if (was != state && !(was == null && state == HealthState.DOWN)) {
                pendingEvents.add(new HealthEvent(real.key(), state, reason, false, clock.instant()));
            }
            return new Tracked(spec, monitor, new RealServerStatus(real, state, reason, false, true));
        }
        if (type == CheckType.ON) {
            return trackOnWithMaintenance(spec, monitor, real, previous);
        }
        InheritedVerdict handed = previous == null ? inherited.remove(real.key()) : null;
        if (handed != null) {
            // Checked already, by the process before: its checks go on from that verdict, with no first-check window.
            previous = new RealServerStatus(real, handed.state(), handed.reason(), handed.maintenance(), true);
        }
        // A restarted checker gets its own duration holder (the retired one may still finish a probe), starting
        // from the last published duration.
        RealServerStatus status = previous == null
                ? new RealServerStatus(real, HealthState.DOWN, "not checked yet", false, false)
                : new RealServerStatus(real, previous.state(), previous.reason(), previous.maintenance(),
                        previous.checked(), LastCheck.copyOf(previous.timing()));
        Tracked tracked = new Tracked(spec, monitor, status);
        tracked.checkerId = ++lastCheckerId;
        if (type == CheckType.CONNECT && spec.server().service().protocol() == Protocol.TCP) {
            tracked.loopCheck = new SocketCheck(tracked.checkerId, spec, status, status.timing(), this::report,
                    monitor);
            socketLoop().add(tracked.loopCheck);
            return tracked;
        }
        Probe probe = Probes.forSpec(spec).orElseThrow();
        if (type == CheckType.NEGOTIATE && probe instanceof HttpProbe http && http.runsOnLoop()) {
            tracked.loopCheck = new SocketCheck(tracked.checkerId, spec, http, status, status.timing(), this::report,
                    monitor);
            socketLoop().add(tracked.loopCheck);
        } else {
            tracked.checker = new ServerChecker(tracked.checkerId, spec, probe, status, status.timing(),
                    this::report, monitor, scheduler());
            scheduler.add(tracked.checker);
        }
        return tracked;
    }

    /**
     * checktype=on with a maintenancedir: ldirectord's check loop looks at the directory before the check type
     * (_check_real), so each checkinterval a server whose file exists is taken out, and one whose file is gone is
     * set up again. The server's checker does just that, with a probe that always passes; the directory is looked
     * at once here too, so that a server already in maintenance never starts UP. (With checktype=off ldirectord's
     * maintenance check only sets down a server that is down anyway, so lbd looks at nothing there.)
     */
    private Tracked trackOnWithMaintenance(CheckSpec spec, MonitorLine monitor, RealServer real,
                                           RealServerStatus previous) {
        boolean inMaintenance = new Maintenance(spec.maintenanceDir(), real.address()).active();
        HealthState state = inMaintenance ? HealthState.DOWN : HealthState.UP;
        String reason = inMaintenance ? MAINTENANCE : CHECKTYPE_ON;
        HealthState was = previous == null ? null : previous.state();
        boolean newlyInMaintenance = inMaintenance && (previous == null || !previous.maintenance());
        if ((was != state && !(was == null && state == HealthState.DOWN)) || newlyInMaintenance) {
            pendingEvents.add(new HealthEvent(real.key(), state, reason, inMaintenance, clock.instant()));
        }
        RealServerStatus status = new RealServerStatus(real, state, reason, inMaintenance, true);
        Tracked tracked = new Tracked(spec, monitor, status);
        tracked.checkerId = ++lastCheckerId;
        tracked.checker = new ServerChecker(tracked.checkerId, spec, CHECKTYPE_ON_PROBE, status, status.timing(),
                this::report, monitor, scheduler());
        scheduler.add(tracked.checker);
        return tracked;
    }

    /** The shared loop of checktype=connect, started with the first such server. */
    private SocketCheckLoop socketLoop() {
        if (socketLoop == null) {
            socketLoop = new SocketCheckLoop();
        }
        return socketLoop;
    }

    /** The shared timer of every other checktype, started with the first such server. */
    private CheckScheduler scheduler() {
        if (scheduler == null) {
            scheduler = new CheckScheduler();
        }
        return scheduler;
    }

    private void report(CheckReport report) {
        inbox.add(new Report(report));
    }

    /** ldirectord's fallback: on when every real server is down (after each has been checked once). */
    private boolean updateFallback(ServiceState state) {
        VirtualService vs = state.config;
        boolean allDown = vs.healthCheck().type() != CheckType.OFF;
        for (RealServer real : vs.realServers()) {
            Tracked tracked = servers.get(real.key());
            if (tracked == null || !tracked.status.checked() || tracked.status.state() == HealthState.UP) {
                allDown = false;
                break;
            }
        }
        if (allDown == state.fallbackActive) {
            return false;
        }
        state.fallbackActive = allDown;
        return true;
    }

    private void publish(ServiceState state) {
        List<RealServerStatus> statuses = new ArrayList<>(state.config.realServers().size());
        Set<RealServerKey> listed = new HashSet<>();
        for (RealServer real : state.config.realServers()) {
            Tracked tracked = servers.get(real.key());
            if (tracked != null && listed.add(real.key())) {
                statuses.add(tracked.status);
            }
        }
        published.put(state.config.key(), new ServiceHealth(state.config, statuses, state.fallbackActive));
    }

    /**
     * One line per transition, with the same key-value pairs in every log format: {@code event=health service=
     * server= state= reason= maintenance=}.
     */
    private void emit(HealthEvent event) {
        (event.state() == HealthState.DOWN ? LOG.atWarn() : LOG.atInfo())
                .addKeyValue("event", "health")
                .addKeyValue("service", event.server().service().toString())
                .addKeyValue("server", event.server().address().toString())
                .addKeyValue("state", event.state().word())
                .addKeyValue("reason", event.reason())
                .addKeyValue("maintenance", event.maintenance())
                .log(event.describe());
        guarded(() -> listener.onTransition(event));
    }

    /** {@code event=fallback service= server= state=active|withdrawn}. */
    private void emitFallback(ServiceState state) {
        VirtualService vs = state.config;
        String server = vs.fallback().map(f -> " " + f.address()).orElse("");
        (state.fallbackActive ? LOG.atWarn() : LOG.atInfo())
                .addKeyValue("event", "fallback")
                .addKeyValue("service", vs.key().toString())
                .addKeyValue("server", vs.fallback().map(f -> f.address().toString()).orElse(""))
                .addKeyValue("state", state.fallbackActive ? "active" : "withdrawn")
                .log(state.fallbackActive ? vs.key() + " fallback" + server + " activated: every real server is down"
                        : vs.key() + " fallback" + server + " withdrawn: a real server is up");
        guarded(() -> listener.onFallback(vs.key(), state.fallbackActive));
        state.fallbackCommand.run(vs, state.fallbackActive);
    }

    private void stopChecker(Tracked tracked) {
        if (tracked.checker != null) {
            scheduler.stop(tracked.checker);
        }
        if (tracked.loopCheck != null) {
            socketLoop.stop(tracked.loopCheck);
        }
        tracked.checkerId = 0;
        tracked.checker = null;
        tracked.loopCheck = null;
    }

    private void stopAllCheckers() {
        List<ServerChecker> checkers = new ArrayList<>();
        for (Tracked tracked : servers.values()) {
            if (tracked.checker != null) {
                checkers.add(tracked.checker);
            }
            stopChecker(tracked);
        }
        if (socketLoop != null) {
            socketLoop.close();
            socketLoop = null;
        }
        if (scheduler != null) {
            scheduler.close(); // after every checker is stopped: a probe it starts now ends at once
            scheduler = null;
        }
        // Probes in flight were interrupted; wait for them so that no check thread outlives close().
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (ServerChecker checker : checkers) {
            try {
                if (!checker.awaitProbe(deadline)) {
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void guarded(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // A bug in a callback must not stop health checking of everything else.
            LOG.error("health event handling failed: {}", e.toString());
        }
    }

    private static void await(CompletableFuture<Void> done, Duration timeout, String what) {
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(what + " failed", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " took longer than " + Texts.duration(timeout), e);
        }
    }
}
