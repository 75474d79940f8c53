package lbd.health;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timer of every blocking check (negotiate, N connects, external, ping): one platform thread and a timer
 * wheel hold each {@link ServerChecker} while it waits for its next check, and when it is due start ONE virtual
 * thread that runs the probe once and hands the checker back with its next deadline. Waiting costs no thread:
 * a virtual thread asleep between checks cost 14.5 µs of CPU per check in its sleep and wake-up alone.
 *
 * <p>A checker is either on the wheel or probing, never both, so probes of one server never overlap; a hung
 * probe holds only its own virtual thread. The monitor's event thread adds and stops checkers; probe threads
 * hand checkers back; both through a queue. Everything else is owned by the timer thread.
 */
final class CheckScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("lbd.health");
    private static final long AWAKE = Long.MIN_VALUE;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final DueTimers<ServerChecker> timers;
    private final Queue<ServerChecker> handedBack = new ConcurrentLinkedQueue<>();
    private final Thread.Builder.OfVirtual probeThreads = Thread.ofVirtual();
    private final Thread thread;
    private volatile boolean running = true;
    /** When the timer thread will next look at the queue by itself; {@link #AWAKE} while it is running. */
    private volatile long wakeAt = AWAKE;

    CheckScheduler() {
        timers = new DueTimers<>(System.nanoTime());
        thread = Thread.ofPlatform().daemon().name("lbd-health-checks").start(this::run);
    }

    /** Starts checking {@code checker}; its first check comes within its first interval (at most a second). */
    void add(ServerChecker checker) {
        handBack(checker, System.nanoTime() + ServerChecker.initialDelayNanos(checker.intervalNanos()));
    }

    /** Stops checking {@code checker}: no further check starts, and a probe in flight is interrupted. */
    void stop(ServerChecker checker) {
        checker.stop();
        handedBack.add(checker); // so that the timer thread drops its timer; no hurry: a stopped timer does nothing
    }

    /** Called by a checker's probe thread (or {@link #add}): the checker is due again at {@code deadlineNanos}. */
    void handBack(ServerChecker checker, long deadlineNanos) {
        checker.nextDueNanos = deadlineNanos;
        handedBack.add(checker);
        // Only wake the timer thread when it would otherwise look too late: in steady state (deadlines an interval
        // away, the thread waking every tick) probes hand back without a wake-up.
        if (deadlineNanos - wakeAt < 0 && wakeAt != AWAKE) {
            LockSupport.unpark(thread);
        }
    }

    /** Stops the timer thread and waits for it. Checkers must have been stopped first (probes are not joined). */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(STOP_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- timer thread

    private void run() {
        try {
            while (running) {
                takeHandedBack();
                expireTimers(System.nanoTime());
                long sleepUntil = timers.nextCollectNanos(); // Long.MAX_VALUE: no timer, sleep until handed one
                wakeAt = sleepUntil;
                // Re-check after publishing wakeAt: a checker handed back in between either is seen here or saw
                // the new wakeAt and unparks us.
                if (handedBack.isEmpty() && running) {
                    if (sleepUntil == Long.MAX_VALUE) {
                        LockSupport.park(this);
                    } else {
                        long left = sleepUntil - System.nanoTime();
                        if (left > 0) {
                            LockSupport.parkNanos(this, left);
                        }
                    }
                }
                wakeAt = AWAKE;
            }
        } catch (RuntimeException | Error e) {
            LOG.error("health checks stopped: {}; servers checked by negotiate, external or ping are no longer"
                    + " checked until lbd is restarted", e.toString());
        }
    }

    private void takeHandedBack() {
        ServerChecker checker;
        while ((checker = handedBack.poll()) != null) {
            if (checker.stopped()) {
                timers.cancel(checker);
            } else if (!timers.scheduled(checker)) {
                timers.schedule(checker, checker.nextDueNanos);
            }
        }
    }

    private void expireTimers(long now) {
        List<ServerChecker> due = timers.collectDue(now);
        for (int i = 0; i < due.size(); i++) {
            ServerChecker checker = due.get(i);
            if (checker.stopped()) {
                continue;
            }
            try {
                checker.startProbe(probeThreads);
            } catch (RuntimeException | OutOfMemoryError e) {
                // No thread for this check (out of memory or threads): try again an interval later.
                LOG.error("health check of {} not started: {}", checker.serverName(), e.toString());
                handBack(checker, now + checker.intervalNanos());
            }
        }
    }
}
