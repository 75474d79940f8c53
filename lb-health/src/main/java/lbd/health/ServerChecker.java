package lbd.health;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The check loop of one real server, run on its own virtual thread: probe, feed the state machine, record the
 * probe's duration in place, tell the monitor only what changed, sleep until {@code checkinterval} after the
 * probe started. Probes of one server therefore never overlap, and a server that hangs only delays its own next
 * check. Interrupting the thread stops it. (checktype=connect runs on {@link ConnectLoop} instead.)
 */
final class ServerChecker implements Runnable {

    /** First checks are spread over up to this much, so a large configuration does not probe in one burst. */
    static final long MAX_INITIAL_SPREAD_NANOS = 1_000_000_000L;

    private final long id;
    private final CheckSpec spec;
    private final Probe probe;
    private final RealServerHealth health;
    private final Maintenance maintenance;
    private final PublishedVerdict published;
    private final LastCheck lastCheck;
    private final Consumer<CheckReport> sink;

    ServerChecker(long id, CheckSpec spec, Probe probe, RealServerStatus current, LastCheck lastCheck,
                  Consumer<CheckReport> sink) {
        this.id = id;
        this.spec = spec;
        this.probe = probe;
        this.health = new RealServerHealth(current.state(), spec.check().failureCount());
        this.maintenance = new Maintenance(spec.maintenanceDir(), spec.server().address());
        this.published = new PublishedVerdict(current);
        this.lastCheck = lastCheck;
        this.sink = sink;
    }

    /** The first check's delay: spread over the first interval (at most a second). */
    static long initialDelayNanos(long intervalNanos) {
        return ThreadLocalRandom.current().nextLong(Math.min(intervalNanos, MAX_INITIAL_SPREAD_NANOS) + 1);
    }

    static long intervalNanos(CheckSpec spec) {
        return Math.max(1_000_000L, spec.check().checkInterval().toNanos());
    }

    @Override
    public void run() {
        long interval = intervalNanos(spec);
        try {
            sleepNanos(initialDelayNanos(interval));
            while (!Thread.currentThread().isInterrupted()) {
                long started = System.nanoTime();
                checkOnce();
                sleepNanos(started + interval - System.nanoTime());
            }
        } catch (InterruptedException e) {
            // Stopped by a reload or shutdown: nothing to report.
        }
    }

    private void checkOnce() throws InterruptedException {
        boolean changed;
        String reason;
        boolean inMaintenance = maintenance.active();
        if (inMaintenance) {
            changed = health.forceDown();
            reason = "maintenance";
        } else {
            ProbeResult result;
            long started = System.nanoTime();
            try {
                result = probe.check();
            } catch (RuntimeException e) {
                // A bug in a probe must not silently end this server's checks: count it as a failed check.
                result = ProbeResult.down("internal error in the " + spec.check().type().name().toLowerCase(
                        Locale.ROOT) + " check: " + e);
            }
            lastCheck.record(System.nanoTime() - started);
            changed = result.up() ? health.recordSuccess() : health.recordFailure();
            reason = result.detail();
        }
        if (published.update(health.state(), reason, inMaintenance)) {
            sink.accept(new CheckReport(id, spec.server(), health.state(), reason, inMaintenance, changed));
        }
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } else if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException();
        }
    }
}
