package lbd.health;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The check loop of one real server, run on its own virtual thread: probe, feed the state machine, report
 * the outcome and the probe's duration, sleep until {@code checkinterval} after the probe started. Probes of one server therefore never
 * overlap, and a server that hangs only delays its own next check. Interrupting the thread stops it.
 */
final class ServerChecker implements Runnable {

    /** First checks are spread over up to this much, so a large configuration does not probe in one burst. */
    private static final long MAX_INITIAL_SPREAD_NANOS = 1_000_000_000L;

    private final long id;
    private final CheckSpec spec;
    private final Probe probe;
    private final RealServerHealth health;
    private final Maintenance maintenance;
    private final Consumer<CheckReport> sink;

    ServerChecker(long id, CheckSpec spec, Probe probe, HealthState initial, Consumer<CheckReport> sink) {
        this.id = id;
        this.spec = spec;
        this.probe = probe;
        this.health = new RealServerHealth(initial, spec.check().failureCount());
        this.maintenance = new Maintenance(spec.maintenanceDir(), spec.server().address());
        this.sink = sink;
    }

    long id() {
        return id;
    }

    @Override
    public void run() {
        long interval = Math.max(1_000_000L, spec.check().checkInterval().toNanos());
        try {
            sleepNanos(ThreadLocalRandom.current().nextLong(Math.min(interval, MAX_INITIAL_SPREAD_NANOS) + 1));
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
        Optional<Duration> took = Optional.empty();
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
                        java.util.Locale.ROOT) + " check: " + e);
            }
            took = Optional.of(Duration.ofNanos(System.nanoTime() - started));
            changed = result.up() ? health.recordSuccess() : health.recordFailure();
            reason = result.detail();
        }
        // Every check is reported (its duration is published); the monitor logs only changes.
        sink.accept(new CheckReport(id, spec.server(), health.state(), reason, inMaintenance, changed, took));
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) {
            Thread.sleep(java.time.Duration.ofNanos(nanos));
        } else if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException();
        }
    }
}
