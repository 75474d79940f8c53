package lbd.director.control;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.GlobalSettings;
import lbd.director.core.Director;
import lbd.director.core.DirectorException;
import lbd.director.ha.HaStatus;
import lbd.director.listing.JsonListing;
import lbd.director.listing.RateEstimator;
import lbd.director.metrics.MetricsServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything an operator reaches a running lbd through, started together and stopped together: the control
 * socket (lbadm), the reloader (SIGHUP, lbadm --reload, autoreload=yes), the 2-second rate sampler and the
 * optional Prometheus endpoint.
 */
public final class DirectorOps implements AutoCloseable {

    /** IPVS's estimator interval. */
    static final Duration RATE_INTERVAL = RateEstimator.INTERVAL;

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final ConfigReloader reloader;
    private final ControlServer control;
    private final MetricsServer metrics;
    private final ConfigFileWatch watch;
    private final ScheduledExecutorService sampler;
    private final DirectorControl handler;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private DirectorOps(ConfigReloader reloader, ControlServer control, MetricsServer metrics, ConfigFileWatch watch,
                        ScheduledExecutorService sampler, DirectorControl handler) {
        this.handler = handler;
        this.reloader = reloader;
        this.control = control;
        this.metrics = metrics;
        this.watch = watch;
        this.sampler = sampler;
    }

    /**
     * @param reloader       re-reads the configuration file (null for the demo: nothing to reload)
     * @param socket         the control socket's path
     * @param metricsAddress where to serve /metrics, if anywhere
     * @param listingFirstLine the first line of a listing (lbd's name and version)
     */
    public static DirectorOps start(Director director, ConfigReloader reloader, Path socket,
                                    Optional<Endpoint> metricsAddress, String listingFirstLine) {
        return start(director, reloader, socket, metricsAddress, () -> listingFirstLine, List.of(), Optional::empty);
    }

    /**
     * As above, with a first line computed per listing (it carries the HA state), extra metric collectors (HA's)
     * and the HA node's state for the status page (empty without HA).
     */
    public static DirectorOps start(Director director, ConfigReloader reloader, Path socket,
                                    Optional<Endpoint> metricsAddress,
                                    Supplier<String> listingFirstLine, List<MultiCollector> extraMetrics,
                                    Supplier<Optional<HaStatus>> ha) {
        DirectorControl handler = new DirectorControl(director, reloader);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lbd-rate-sampler");
            t.setDaemon(true);
            return t;
        });
        ControlServer control = null;
        MetricsServer metrics = null;
        try {
            sampler.scheduleAtFixedRate(() -> sampleQuietly(handler), 0, RATE_INTERVAL.toMillis(),
                    TimeUnit.MILLISECONDS);
            control = ControlServer.start(socket, new ControlService(handler, listingFirstLine));
            if (metricsAddress.isPresent()) {
                metrics = MetricsServer.start(metricsAddress.get(), handler, extraMetrics,
                        () -> JsonListing.status(handler.status(listingFirstLine.get(), ha.get())));
            }
            ConfigFileWatch watch = null;
            if (reloader != null) {
                GlobalSettings atStart = director.config().globals();
                watch = ConfigFileWatch.start(reloader, () -> reloader.lastApplied().orElse(atStart),
                        ConfigFileWatch.DEFAULT_INTERVAL);
            }
            return new DirectorOps(reloader, control, metrics, watch, sampler, handler);
        } catch (RuntimeException e) {
            sampler.shutdownNow();
            if (control != null) {
                control.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
    }

    private static void sampleQuietly(DirectorControl handler) {
        try {
            handler.sampleRates();
        } catch (DirectorException e) {
            log.debug("rate sample skipped: {}", e.getMessage());
        }
    }

    /** SIGHUP's reload (the caller reopens the log file first). */
    public void reloadLater(String trigger) {
        if (reloader != null) {
            reloader.reloadLater(trigger);
        }
    }

    /** Enables {@code lbd upgrade} on the control socket. */
    public void upgrader(Upgrader upgrader) {
        handler.upgrader(upgrader);
    }

    public Path socket() {
        return control.path();
    }

    /** The metrics port really bound, or -1 when metrics are off. */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.port();
    }

    /** Closes everything (once; an upgrade closes them before the stop does). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (watch != null) {
            watch.close();
        }
        sampler.shutdownNow();
        control.close();
        if (metrics != null) {
            metrics.close();
        }
        if (reloader != null) {
            reloader.close();
        }
    }
}
