package lbd.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2ObjectHashMap;
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
    /** About 4 ms: deadlines are met within a tick, and a busy wheel wakes up at most ~240 times a second. */
    private static final long TICK_NANOS = 1L << 22;
    /** 256 ticks ≈ 1.07 s: with checkinterval 1 s each server's timer lands in its own spoke of the wheel. */
    private static final int TICKS_PER_WHEEL = 256;
    /** Up to this many timers, the thread sleeps until the earliest deadline instead of waking every tick. */
    private static final int SCAN_LIMIT = 512;
    private static final long AWAKE = Long.MIN_VALUE;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final DeadlineTimerWheel wheel;
    private final Long2ObjectHashMap<ServerChecker> byTimer = new Long2ObjectHashMap<>();
    private final Queue<ServerChecker> handedBack = new ConcurrentLinkedQueue<>();
    private final ArrayList<ServerChecker> due = new ArrayList<>();
    private final Thread.Builder.OfVirtual probeThreads = Thread.ofVirtual();
    private final DeadlineTimerWheel.TimerHandler onExpiry = this::onExpiry;
    private final DeadlineTimerWheel.TimerConsumer findEarliest = this::noteDeadline;
    private long earliest;
    private final Thread thread;
    private volatile boolean running = true;
    /** When the timer thread will next look at the queue by itself; {@link #AWAKE} while it is running. */
    private volatile long wakeAt = AWAKE;

    CheckScheduler() {
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, System.nanoTime(), TICK_NANOS, TICKS_PER_WHEEL);
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
                long sleepUntil = sleepUntil();
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

    /** Long.MAX_VALUE: no timer at all (sleep until handed a checker); else when to look at the wheel next. */
    private long sleepUntil() {
        if (wheel.timerCount() == 0) {
            return Long.MAX_VALUE;
        }
        long at = wheel.currentTickTime();
        if (wheel.timerCount() <= SCAN_LIMIT) {
            earliest = Long.MAX_VALUE;
            wheel.forEach(findEarliest);
            at = Math.max(at, earliest); // poll() expires a tick's timers once that tick has ended
        }
        return at;
    }

    private void noteDeadline(long deadline, long timerId) {
        earliest = Math.min(earliest, deadline);
    }

    private void takeHandedBack() {
        ServerChecker checker;
        while ((checker = handedBack.poll()) != null) {
            if (checker.stopped()) {
                if (checker.timerId != DeadlineTimerWheel.NULL_DEADLINE) {
                    wheel.cancelTimer(checker.timerId);
                    byTimer.remove(checker.timerId);
                    checker.timerId = DeadlineTimerWheel.NULL_DEADLINE;
                }
            } else if (checker.timerId == DeadlineTimerWheel.NULL_DEADLINE) {
                if (wheel.timerCount() == 0) {
                    wheel.currentTickTime(System.nanoTime()); // after idling, start from now, not replaying ticks
                }
                long timerId = wheel.scheduleTimer(checker.nextDueNanos); // a passed deadline fires on next poll
                checker.timerId = timerId;
                byTimer.put(timerId, checker);
            }
        }
    }

    private void expireTimers(long now) {
        if (wheel.timerCount() == 0) {
            wheel.currentTickTime(now); // nothing to expire; do not replay the ticks of an idle period
            return;
        }
        do { // poll() looks at one tick per call: catch up with every tick that has passed
            wheel.poll(now, onExpiry, Integer.MAX_VALUE);
        } while (now >= wheel.currentTickTime());
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
        due.clear();
    }

    private boolean onExpiry(TimeUnit unit, long now, long timerId) {
        ServerChecker checker = byTimer.remove(timerId);
        if (checker != null) {
            checker.timerId = DeadlineTimerWheel.NULL_DEADLINE;
            due.add(checker);
        }
        return true;
    }
}
