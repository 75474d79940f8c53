package lbd.health;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The "next check due" timers of one check loop ({@link CheckScheduler}, {@link SocketCheckLoop}): an Agrona timer
 * wheel of at most one timer per entry, polled by the loop's thread, which alone owns it. Due entries are
 * collected into a list and acted on by the loop after polling, never inside it: acting schedules timers, which
 * a wheel mid-poll should not see. Scheduling, cancelling and expiring allocate nothing once the maps have grown.
 *
 * @param <T> what is checked; it keeps its own timer id so that cancelling needs no look-up
 */
final class DueTimers<T extends DueTimers.Entry> {

    /** What can be on the wheel: it carries the id of its timer, or {@link #NO_TIMER} while it has none. */
    abstract static class Entry {
        /** Owned by the thread of the loop whose wheel this entry is on. */
        long timerId = NO_TIMER;
    }

    static final long NO_TIMER = DeadlineTimerWheel.NULL_DEADLINE;
    /** About 4 ms: deadlines are met within a tick, and a busy loop wakes up at most ~240 times a second. */
    static final long TICK_NANOS = 1L << 22;
    /** 256 ticks ≈ 1.07 s: with checkinterval 1 s each server's timer lands in its own spoke of the wheel. */
    static final int TICKS_PER_WHEEL = 256;
    /** Up to this many timers, the loop sleeps until the earliest deadline instead of waking every tick. */
    static final int SCAN_LIMIT = 512;

    private final DeadlineTimerWheel wheel;
    private final Long2ObjectHashMap<T> byTimer = new Long2ObjectHashMap<>();
    private final ArrayList<T> due = new ArrayList<>();
    private final DeadlineTimerWheel.TimerHandler onExpiry = this::onExpiry;
    private final DeadlineTimerWheel.TimerConsumer findEarliest = this::noteDeadline;
    private long earliest;

    DueTimers(long nowNanos) {
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, nowNanos, TICK_NANOS, TICKS_PER_WHEEL);
    }

    /** How many entries wait for their deadline. */
    long size() {
        return wheel.timerCount();
    }

    /** Whether {@code entry} has a timer on this wheel. */
    boolean scheduled(T entry) {
        return entry.timerId != NO_TIMER;
    }

    /** {@code entry} is due at {@code deadlineNanos}; a deadline already passed fires on the next collect. */
    void schedule(T entry, long deadlineNanos) {
        if (wheel.timerCount() == 0) {
            wheel.currentTickTime(System.nanoTime()); // after idling, start from now rather than replaying ticks
        }
        long timerId = wheel.scheduleTimer(deadlineNanos);
        entry.timerId = timerId;
        byTimer.put(timerId, entry);
    }

    /** Drops {@code entry}'s timer, if it has one. */
    void cancel(T entry) {
        long timerId = entry.timerId;
        if (timerId != NO_TIMER) {
            wheel.cancelTimer(timerId);
            byTimer.remove(timerId);
            entry.timerId = NO_TIMER;
        }
    }

    /**
     * The entries whose deadline has passed by {@code nowNanos}, each without its timer now. Within one turn
     * of the wheel (~1 s) earlier ticks come first; after a longer pause the order is the wheel's spokes'.
     * The list is this object's own: valid until the next call, which clears it.
     */
    List<T> collectDue(long nowNanos) {
        due.clear();
        if (wheel.timerCount() == 0) {
            wheel.currentTickTime(nowNanos); // nothing to expire; do not replay the ticks of an idle period
            return due;
        }
        do { // poll() looks at one tick per call: catch up with every tick that has passed
            wheel.poll(nowNanos, onExpiry, Integer.MAX_VALUE);
        } while (nowNanos >= wheel.currentTickTime());
        return due;
    }

    /**
     * When the loop should next collect: Long.MAX_VALUE with no timer at all (wait for new work). With few timers
     * it is the earliest deadline (a handful of servers must not wake the loop every tick); with many, timers are
     * dense and the next tick is as good.
     */
    long nextCollectNanos() {
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

    private boolean onExpiry(TimeUnit unit, long now, long timerId) {
        T entry = byTimer.remove(timerId);
        if (entry != null) {
            entry.timerId = NO_TIMER;
            due.add(entry);
        }
        return true;
    }
}
