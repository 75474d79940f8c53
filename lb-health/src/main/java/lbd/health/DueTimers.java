package lbd.health;

import java.util.ArrayList;
import java.util.List;

/**
 * The "next check due" and "probe timed out" timers of one check loop ({@link CheckScheduler},
 * {@link SocketCheckLoop}): a hashed timer wheel of at most one timer per entry, polled by the loop's thread, which
 * alone owns it. The entries are the wheel's list nodes themselves (each spoke a doubly linked list through them),
 * so scheduling, cancelling and expiring are a few field writes, with no map from a timer id back to its entry
 * (Agrona's DeadlineTimerWheel needs one: its removal per cancelled timer was the wheel's main cost at 10,000
 * servers, benchmarks/RESULTS.md) and no allocation. Due entries are collected into a list and acted on by the loop
 * after polling, never inside it: acting schedules timers, which a wheel mid-walk should not see.
 *
 * @param <T> what is checked
 */
final class DueTimers<T extends DueTimers.Entry> {

    /** What can be on the wheel: while it has a timer, it is linked into its spoke's list. */
    abstract static class Entry {
        // Owned by the thread of the loop whose wheel this entry is on.
        long deadline;
        Entry next;
        Entry previous;
        int spoke = NOT_SCHEDULED;
    }

    private static final int NOT_SCHEDULED = -1;
    /** About 4 ms: deadlines are met within a tick, and a busy loop wakes up at most ~240 times a second. */
    static final long TICK_NANOS = 1L << 22;
    private static final int TICK_SHIFT = 22;
    /** 256 ticks ≈ 1.07 s: with checkinterval 1 s each server's timer lands in its own spoke of the wheel. */
    static final int TICKS_PER_WHEEL = 256;
    private static final int SPOKE_MASK = TICKS_PER_WHEEL - 1;
    /** Up to this many timers, the loop sleeps until the earliest deadline instead of waking every tick. */
    static final int SCAN_LIMIT = 512;

    private final Entry[] spokes = new Entry[TICKS_PER_WHEEL];
    private final ArrayList<T> due = new ArrayList<>();
    /** The tick (nanoTime / TICK_NANOS) whose spoke the next collect starts from. */
    private long currentTick;
    private long count;

    DueTimers(long nowNanos) {
        currentTick = nowNanos >> TICK_SHIFT;
    }

    /** How many entries wait for their deadline. */
    long size() {
        return count;
    }

    /** Whether {@code entry} has a timer on this wheel. */
    boolean scheduled(T entry) {
        return entry.spoke != NOT_SCHEDULED;
    }

    /** {@code entry} (which has no timer) is due at {@code deadlineNanos}; one already passed fires on the next collect. */
    void schedule(T entry, long deadlineNanos) {
        if (count == 0) {
            currentTick = System.nanoTime() >> TICK_SHIFT; // after idling, start from now rather than replaying ticks
        }
        long tick = deadlineNanos >> TICK_SHIFT;
        if (tick - currentTick < 0) {
            tick = currentTick;
        }
        int spoke = (int) (tick & SPOKE_MASK);
        Entry head = spokes[spoke];
        entry.next = head;
        entry.previous = null;
        if (head != null) {
            head.previous = entry;
        }
        spokes[spoke] = entry;
        entry.spoke = spoke;
        entry.deadline = deadlineNanos;
        count++;
    }

    /** Drops {@code entry}'s timer, if it has one. */
    void cancel(T entry) {
        if (entry.spoke != NOT_SCHEDULED) {
            unlink(entry);
        }
    }

    /**
     * The entries whose deadline has passed by {@code nowNanos}, each without its timer now. Within one turn of the
     * wheel (~1 s) earlier ticks come first; after a longer pause the order is the wheel's spokes'. The list is this
     * object's own: valid until the next call, which clears it.
     */
    @SuppressWarnings("unchecked") // only T is ever linked in
    List<T> collectDue(long nowNanos) {
        due.clear();
        long nowTick = nowNanos >> TICK_SHIFT;
        if (count == 0) {
            currentTick = nowTick; // nothing to expire; do not replay the ticks of an idle period
            return due;
        }
        long passed = Math.max(0, nowTick - currentTick);
        int spokesToWalk = (int) Math.min(passed, TICKS_PER_WHEEL - 1) + 1;
        for (int i = 0; i < spokesToWalk && count > 0; i++) {
            Entry entry = spokes[(int) ((currentTick + i) & SPOKE_MASK)];
            while (entry != null) {
                Entry next = entry.next;
                if (entry.deadline - nowNanos <= 0) { // later turns' entries share the spoke and stay
                    unlink(entry);
                    due.add((T) entry);
                }
                entry = next;
            }
        }
        currentTick += passed;
        return due;
    }

    /**
     * When the loop should next collect: Long.MAX_VALUE with no timer at all (wait for new work). With few timers
     * it is the earliest deadline (a handful of servers must not wake the loop every tick); with many, timers are
     * dense and the next tick is as good.
     */
    long nextCollectNanos() {
        if (count == 0) {
            return Long.MAX_VALUE;
        }
        if (count > SCAN_LIMIT) {
            return (currentTick + 1) << TICK_SHIFT;
        }
        long earliest = Long.MAX_VALUE;
        for (Entry head : spokes) {
            for (Entry entry = head; entry != null; entry = entry.next) {
                earliest = Math.min(earliest, entry.deadline);
            }
        }
        return earliest;
    }

    private void unlink(Entry entry) {
        if (entry.previous != null) {
            entry.previous.next = entry.next;
        } else {
            spokes[entry.spoke] = entry.next;
        }
        if (entry.next != null) {
            entry.next.previous = entry.previous;
        }
        entry.next = null;
        entry.previous = null;
        entry.spoke = NOT_SCHEDULED;
        count--;
    }
}
