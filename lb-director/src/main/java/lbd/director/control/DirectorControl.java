package lbd.director.control;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.RealServerStats;
import lbd.dataplane.counter.StatsAggregator;
import lbd.director.core.Director;
import lbd.director.core.DirectorException;
import lbd.director.core.ServiceSettings;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.director.listing.ConnectionListing;
import lbd.director.listing.DirectRoutingView;
import lbd.director.listing.RateEstimator;
import lbd.director.listing.RateHistory;
import lbd.director.listing.StatusView;
import lbd.director.ha.HaStatus;
import lbd.config.model.ClusterConfig;
import java.time.Instant;
import lbd.director.listing.TableView;
import lbd.director.listing.TableViews;
import lbd.director.metrics.LoopCounters;
import lbd.director.metrics.MetricsSource;
import lbd.director.metrics.ReloadCounters;
import lbd.director.metrics.SplicePipes;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.dataplane.nat.NatProxy;
import lbd.health.CheckDurations;
import lbd.health.RealServerStatus;
import lbd.health.ServiceHealth;
import org.HdrHistogram.Histogram;

/**
 * The director as the control socket and the metrics endpoint see it. Every read of the director's state runs
 * on its control thread ({@link Director#onControl}); counters are summed from the workers' acquire reads.
 */
public final class DirectorControl implements ControlHandler, MetricsSource {

    // How long a connection listing waits for each owner of connections (an event loop, a DR worker) to answer.
    private static final Duration CONNECTIONS_WAIT = Duration.ofSeconds(5);

    private final Director director;
    private final ConfigReloader reloader;
    private volatile Upgrader upgrader;
    // Sampled on the control thread only (see sampleRates); its rates map is immutable and safe to read anywhere.
    private final RateEstimator<RealServerKey> rates = new RateEstimator<>();
    // lbadm -Z: each real server's counters when its service was last zeroed. Control thread only. The listing
    // subtracts them; metrics never do (Prometheus counters must not go down).
    private final Map<RealServerKey, RealServerStats> zeroedAt = new HashMap<>();
    // The status page's sparklines: each real server's rates over the last minutes. Control thread only.
    private final RateHistory<RealServerKey> history = new RateHistory<>();

    /** @param reloader re-reads the configuration file; null when there is none (the demo) */
    public DirectorControl(Director director, ConfigReloader reloader) {
        this.director = director;
        this.reloader = reloader;
    }

    @Override
    public TableView view() {
        return director.onControl(() -> TableViews.capture(director.effectiveConfig(), director.publisher().current(),
                director::state, director::weightEdited, totals(), rates.rates()));
    }

    @Override
    public TableView listing() {
        return director.onControl(() -> {
            Map<RealServerKey, RealServerStats> since = new HashMap<>();
            totals().forEach((key, now) -> since.put(key, now.since(zeroedAt.getOrDefault(key, RealServerStats.ZERO))));
            return TableViews.capture(director.effectiveConfig(), director.publisher().current(), director::state,
                    director::weightEdited, since, rates.rates());
        });
    }

    @Override
    public ConnectionEntries connections() {
        return ConnectionListing.merge(director.connections(ConnectionListing.LIMIT, CONNECTIONS_WAIT),
                ConnectionListing.LIMIT);
    }

    @Override
    public ConnectionTimeouts timeouts() {
        return director.timeouts();
    }

    @Override
    public ConnectionTimeouts setTimeouts(int tcp, int tcpFin, int udp) {
        try {
            return director.setTimeouts(tcp, tcpFin, udp);
        } catch (DirectorException e) {
            throw new ControlException(e.getMessage());
        }
    }

    @Override
    public void zero(Optional<VirtualServiceKey> service) {
        run(() -> director.onControl(() -> {
            service.ifPresent(key -> {
                if (director.effectiveConfig().find(key).isEmpty()) {
                    throw new DirectorException("Service not defined: " + key);
                }
            });
            Predicate<RealServerKey> which = key -> service.map(s -> s.equals(key.service())).orElse(true);
            totals().forEach((key, now) -> {
                if (which.test(key)) {
                    zeroedAt.put(key, now);
                }
            });
            rates.zero(which);
            return null;
        }));
    }

    @Override
    public List<LoopCounters> loops() {
        return director.nat().loopStats().stream()
                .map(l -> new LoopCounters(l.loop(), l.accepted(), l.scheduled(), l.refused(),
                        l.outOfResources(), l.ceilingReached(), l.datagramsDropped(), l.proxyHeaderRejected()))
                .toList();
    }

    @Override
    public Optional<SplicePipes> splicePipes() {
        NatProxy nat = director.nat();
        return nat.splices() ? Optional.of(new SplicePipes(nat.pipesInUse(), nat.settings().maxPipes()))
                : Optional.empty();
    }

    @Override
    public Map<String, Long> directRoutingFrames() {
        return director.directRoutingFrames();
    }

    @Override
    public List<FlowOccupancy> directRoutingFlows() {
        return director.directRoutingFlows();
    }

    @Override
    public Map<RealServerKey, Boolean> directRoutingNeighbours() {
        return director.onControl(director::directRoutingNeighbours);
    }

    @Override
    public Map<RealServerKey, CheckDurations> checkDurations() {
        Map<RealServerKey, CheckDurations> durations = new HashMap<>();
        for (ServiceHealth service : director.health().services()) {
            for (RealServerStatus status : service.servers()) {
                durations.put(status.server().key(), status.checkDurations());
            }
        }
        return Map.copyOf(durations);
    }

    @Override
    public Optional<ReloadCounters> reloads() {
        return reloader == null ? Optional.empty() : Optional.of(reloader.counters());
    }

    @Override
    public String configSha256() {
        return director.onControl(() -> director.config().sha256());
    }

    @Override
    public Map<RealServerKey, Duration> checkLatency() {
        Map<RealServerKey, Duration> latency = new HashMap<>();
        for (ServiceHealth service : director.health().services()) {
            for (RealServerStatus status : service.servers()) {
                status.lastCheck().ifPresent(took -> latency.put(status.server().key(), took));
            }
        }
        return Map.copyOf(latency);
    }

    /** Only services still configured: the data plane keeps the totals of a removed one (it may come back). */
    @Override
    public Map<VirtualServiceKey, Histogram> connectLatencyMicros() {
        Set<VirtualServiceKey> configured = director.onControl(() -> director.effectiveConfig().virtualServices()
                .stream().map(VirtualService::key).collect(Collectors.toSet()));
        Map<VirtualServiceKey, Histogram> latency = new LinkedHashMap<>(director.nat().connectLatencyMicros());
        latency.keySet().retainAll(configured);
        return latency;
    }

    /**
     * The status page's data, captured on the control thread (the table, the rate history, the check intervals)
     * and from the health monitor's and the data plane's published state.
     *
     * @param version the first line of a listing (lbd's name and version)
     * @param ha      this node of an HA pair, when there is one
     */
    public StatusView status(String version, Optional<HaStatus> ha) {
        Map<RealServerKey, Duration> lastCheck = checkLatency();
        Optional<DirectRoutingView> dr = directRouting();
        return director.onControl(() -> {
            ClusterConfig config = director.effectiveConfig();
            Map<VirtualServiceKey, Duration> intervals = new HashMap<>();
            config.virtualServices().forEach(vs -> intervals.put(vs.key(), vs.healthCheck().checkInterval()));
            TableView table = TableViews.capture(config, director.publisher().current(), director::state,
                    director::weightEdited, totals(), rates.rates());
            return new StatusView(version, Instant.now(), table, lastCheck, history.snapshot(), intervals,
                    director.recentTransitions(), ha, dr);
        });
    }

    @Override
    public Optional<DirectRoutingView> directRouting() {
        Map<String, Long> frames = director.directRoutingFrames();
        return frames.isEmpty() ? Optional.empty() : Optional.of(new DirectRoutingView(frames,
                director.directRoutingFlows(), director.onControl(director::directRoutingNeighbours)));
    }

    /** Feeds the rate estimator; called every 2 s (IPVS's estimator interval). */
    public void sampleRates() {
        director.onControl(() -> {
            rates.sample(totals(), System.nanoTime());
            history.add(rates.rates());
            return null;
        });
    }

    private Map<RealServerKey, RealServerStats> totals() {
        return StatsAggregator.byRealServer(director.workerStates());
    }

    @Override
    public void setWeight(RealServerKey server, int weight, Optional<ForwardingMethod> forwarding,
                          ConnectionThresholds thresholds) {
        run(() -> director.editServer(server, weight, forwarding, thresholds));
    }

    @Override
    public void addServer(RealServerKey server, ForwardingMethod forwarding, int weight,
                          ConnectionThresholds thresholds) {
        run(() -> director.addServer(server, forwarding, weight, thresholds));
    }

    @Override
    public void deleteServer(RealServerKey server) {
        run(() -> director.deleteServer(server));
    }

    @Override
    public void setScheduler(VirtualServiceKey service, SchedulerKind scheduler) {
        run(() -> director.setScheduler(service, scheduler));
    }

    @Override
    public void addService(ServiceSettings settings) {
        run(() -> director.addService(settings));
    }

    @Override
    public void editService(ServiceSettings settings) {
        run(() -> director.editService(settings));
    }

    @Override
    public void deleteService(VirtualServiceKey service) {
        run(() -> director.deleteService(service));
    }

    @Override
    public void clear() {
        run(director::clearServices);
    }

    @Override
    public Upgraded upgrade(Duration drain) {
        Upgrader u = upgrader;
        if (u == null) {
            throw new ControlException(reloader == null
                    ? "this lbd runs without a configuration file (--demo): nothing to upgrade"
                    : "this lbd cannot be upgraded in place");
        }
        return u.upgrade(drain);
    }

    /** What carries out {@code lbd upgrade} (set once the control socket is open: it needs to close it). */
    void upgrader(Upgrader upgrader) {
        this.upgrader = upgrader;
    }

    @Override
    public String reload() {
        if (reloader == null) {
            throw new ControlException("this lbd runs without a configuration file (--demo): nothing to reload");
        }
        return reloader.reload("lbadm --reload");
    }

    private static void run(Runnable edit) {
        try {
            edit.run();
        } catch (DirectorException e) {
            throw new ControlException(e.getMessage());
        }
    }
}
