package lbd.health;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import lbd.config.model.CheckType;

/**
 * The checks of one real server with a blocking probe, run by {@link CheckScheduler}: when due, one virtual
 * thread runs {@link #run()} — probe, feed the state machine, record the probe's duration in place, tell the
 * monitor only what changed — and hands the checker back to be due {@code checkinterval} after the probe
 * started. The scheduler starts a probe only for a checker it holds, so probes of one server never overlap, and
 * a server that hangs only delays its own next check. (checktype=connect, and HTTP checks over plain TCP, run on
 * {@link SocketCheckLoop} instead.)
 */
final class ServerChecker extends DueTimers.Entry implements Runnable {

    /** First checks are spread over up to this much, so a large configuration does not probe in one burst. */
    static final long MAX_INITIAL_SPREAD_NANOS = 1_000_000_000L;

    private final CheckSpec spec;
    private final Probe probe;
    private final Maintenance maintenance;
    private final LastCheck lastCheck;
    private final ServerVerdict verdict;
    private final CheckScheduler scheduler;
    private final long intervalNanos;
    private final String threadName;
    /** checktype=on contacts nothing: there is no probe duration to publish (as with checktype=off). */
    private final boolean timed;

    private volatile boolean stopped;
    /** The virtual thread of the latest probe (maybe ended): what stopping interrupts and closing joins. */
    private volatile Thread probing;

    // Owned by the scheduler's timer thread (nextDueNanos is handed over through its queue).
    long nextDueNanos;

    ServerChecker(long id, CheckSpec spec, Probe probe, RealServerStatus current, LastCheck lastCheck,
                  Consumer<CheckReport> sink, MonitorLine monitor, CheckScheduler scheduler) {
        this.spec = spec;
        this.probe = probe;
        this.maintenance = new Maintenance(spec.maintenanceDir(), spec.server().address());
        this.verdict = new ServerVerdict(id, spec, current, sink, monitor);
        this.lastCheck = lastCheck;
        this.scheduler = scheduler;
        this.intervalNanos = intervalNanos(spec);
        this.threadName = "check " + spec.server().address();
        this.timed = spec.check().type() != CheckType.ON;
    }

    /** The first check's delay: spread over the first interval (at most a second). */
    static long initialDelayNanos(long intervalNanos) {
        return ThreadLocalRandom.current().nextLong(Math.min(intervalNanos, MAX_INITIAL_SPREAD_NANOS) + 1);
    }

    static long intervalNanos(CheckSpec spec) {
        return Math.max(1_000_000L, spec.check().checkInterval().toNanos());
    }

    long intervalNanos() {
        return intervalNanos;
    }

    String serverName() {
        return threadName.substring("check ".length());
    }

    boolean stopped() {
        return stopped;
    }

    /** Called by the timer thread when the checker is due: one virtual thread runs one check. */
    void startProbe(Thread.Builder.OfVirtual threads) {
        Thread thread = threads.name(threadName).unstarted(this);
        probing = thread;
        thread.start();
        if (stopped) {
            thread.interrupt(); // stop() may have looked at probing before it was set
        }
    }

    /** No further check starts; a probe in flight is interrupted (its report, if any, is ignored by then). */
    void stop() {
        stopped = true;
        Thread thread = probing;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Waits until the latest probe's thread, if any, has ended; false if it has not by {@code deadlineNanos}. */
    boolean awaitProbe(long deadlineNanos) throws InterruptedException {
        Thread thread = probing;
        if (thread == null || !thread.isAlive()) {
            return true;
        }
        long left = deadlineNanos - System.nanoTime();
        return left > 0 && thread.join(Duration.ofNanos(left));
    }

    /** One check, on its own virtual thread; then back to the scheduler unless stopped. */
    @Override
    public void run() {
        long started = System.nanoTime();
        try {
            if (stopped) {
                return;
            }
            checkOnce();
        } catch (InterruptedException e) {
            return; // stopped by a reload or shutdown: nothing to report
        }
        if (!stopped) {
            scheduler.handBack(this, started + intervalNanos);
        }
    }

    private void checkOnce() throws InterruptedException {
        if (maintenance.active()) {
            verdict.record(false, HealthMonitor.MAINTENANCE, true); // no probe runs: lastCheck keeps its value
        } else if (!timed) {
            ProbeResult result = probe.check();
            verdict.record(result.up(), result.detail(), false);
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
            long took = System.nanoTime() - started;
            lastCheck.record(took);
            CheckDebug.log(spec, result.up(), result.detail(), took);
            verdict.record(result.up(), result.detail(), false);
        }
    }
}
