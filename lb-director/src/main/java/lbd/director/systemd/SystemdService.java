package lbd.director.systemd;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lbd.config.model.ClusterConfig;
import lbd.config.model.VirtualService;
import lbd.director.control.ReloadPhases;
import lbd.director.core.Director;
import lbd.health.HealthView;
import lbd.health.RealServerStatus;
import lbd.health.ServiceHealth;

/**
 * A running lbd as a {@code Type=notify} service: READY=1 once every VIP listens and the first health verdicts
 * are in (so that {@code systemctl start} returns when lbd serves as configured, not merely when it runs),
 * RELOADING=1 and READY=1 around each reload, STOPPING=1 when it begins to drain, and — with
 * {@code WatchdogSec=} — WATCHDOG=1 sent from the control plane's own thread, so that a wedged conductor
 * (nothing else can change the tables) is restarted by systemd. Each carries a one-line STATUS.
 */
public final class SystemdService implements ReloadPhases, AutoCloseable {

    // A check that has not answered after its own timeout has failed; a little more for the verdict to land.
    private static final Duration VERDICT_MARGIN = Duration.ofSeconds(2);
    // systemd's default start timeout is 90 s; lbd gives up waiting for verdicts well before it.
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(60);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final SystemdNotify notify;
    private final Director director;
    private final ScheduledExecutorService watchdog;
    private volatile boolean handedOver;

    private SystemdService(SystemdNotify notify, Director director) {
        this.notify = notify;
        this.director = director;
        this.watchdog = notify.watchdog().isPresent() ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lbd-watchdog");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** {@code director} as systemd's service; it says nothing until {@link #ready}. */
    public static SystemdService of(SystemdNotify notify, Director director) {
        return new SystemdService(notify, director);
    }

    /**
     * Tells systemd that the director serves, once the first verdicts of {@code config} are in (bounded by the
     * slowest check's timeout), and starts the watchdog pings. Returns at once when systemd did not start lbd.
     */
    public void ready(ClusterConfig config) {
        if (notify.enabled()) {
            awaitFirstVerdicts(director.health(), config);
            notify.ready(summary(director.health()));
            notify.watchdog().ifPresent(this::startWatchdog);
        }
    }

    /** A STATUS line while lbd starts (before {@link #ready}); nothing when systemd did not start lbd. */
    public void status(String status) {
        notify.status(status);
    }

    private void startWatchdog(Duration interval) {
        // Twice per interval, as sd_watchdog_enabled(3) advises: a ping that waits behind a long reload still
        // lands in time, and one that never runs means the conductor stopped applying its inbox.
        long every = Math.max(1, interval.toMillis() / 2);
        watchdog.scheduleAtFixedRate(
                () -> director.pingControlPlane(() -> notify.watchdogAlive(summary(director.health()))),
                0, every, TimeUnit.MILLISECONDS);
    }

    /** Waits until every real server has had its first check, or the slowest check must have ended. */
    static void awaitFirstVerdicts(HealthView health, ClusterConfig config) {
        long deadline = System.nanoTime() + verdictBound(config).toNanos();
        while (!allChecked(health) && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    static Duration verdictBound(ClusterConfig config) {
        Duration longest = Duration.ZERO;
        for (VirtualService vs : config.virtualServices()) {
            Duration check = vs.healthCheck().negotiateTimeout().compareTo(vs.healthCheck().checkTimeout()) > 0
                    ? vs.healthCheck().negotiateTimeout() : vs.healthCheck().checkTimeout();
            if (check.compareTo(longest) > 0) {
                longest = check;
            }
        }
        Duration bound = longest.plus(VERDICT_MARGIN);
        return bound.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : bound;
    }

    static boolean allChecked(HealthView health) {
        for (ServiceHealth service : health.services()) {
            for (RealServerStatus server : service.servers()) {
                if (!server.checked()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** One line: services, real servers up, fallbacks in use — what {@code systemctl status} shows. */
    static String summary(HealthView health) {
        int services = 0;
        int servers = 0;
        int up = 0;
        int fallbacks = 0;
        for (ServiceHealth service : health.services()) {
            services++;
            servers += service.servers().size();
            up += service.upCount();
            if (service.fallbackActive()) {
                fallbacks++;
            }
        }
        return services + (services == 1 ? " virtual service, " : " virtual services, ") + up + " of " + servers
                + " real servers up" + (fallbacks == 0 ? "" : ", " + fallbacks + " on their fallback");
    }

    @Override
    public void reloading() {
        notify.reloading();
    }

    @Override
    public void reloaded() {
        notify.ready(summary(director.health()));
    }

    /**
     * {@code lbd upgrade}: the new process {@code pid} serves and becomes the main process; this one stops its
     * watchdog pings and says nothing more (its drain is not the service stopping).
     */
    public void handOver(long pid) {
        handedOver = true;
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        notify.mainPid(pid, "handed over to pid " + pid + " (lbd upgrade)");
    }

    /** The drain begins: STOPPING=1 (unless handed over); the watchdog stops (a drain is not a wedge). */
    @Override
    public void close() {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (!handedOver) {
            notify.stopping("draining open connections");
        }
    }
}
