package lbd.dataplane.dr.flow;

/**
 * When each of a {@link FlowTable}'s entries expires: a hashed timing wheel whose spokes are intrusive doubly
 * linked lists threaded through per-entry arrays. Scheduling, rescheduling and cancelling are O(1) whatever
 * the number of connections or how many share a tick, and the memory is fixed at construction (a few ints per
 * entry) — a burst of SYNs, even a flood, costs no allocation and no search.
 *
 * <p>An entry sits on the spoke of its deadline's tick; a spoke also holds entries of later turns of the wheel,
 * which are passed over until their turn comes. Owned by the table's thread.
 */
final class FlowExpiryWheel {

    /** Told about an entry whose deadline has passed; it has been taken off the wheel and may be rescheduled. */
    interface Expiry {
        void expired(int entry, long nowMillis);
    }

    private static final int NIL = -1;

    private final long tickMillis;
    private final int spokeMask;
    private final int[] heads;
    private final int[] next;
    private final int[] prev;
    private final int[] spokes; // the entry's spoke, NIL when not on the wheel
    private final long[] deadlines;
    private long currentTick; // the tick running at the last expire: the earliest not walked yet
    private long walked;

    /**
     * @param entries  the table's capacity
     * @param tickMillis the wheel's resolution: an entry expires within one tick after its deadline
     * @param spokeCount a power of two
     */
    FlowExpiryWheel(int entries, long tickMillis, int spokeCount, long nowMillis) {
        if (Integer.bitCount(spokeCount) != 1) {
            throw new IllegalArgumentException("spoke count must be a power of two: " + spokeCount);
        }
        this.tickMillis = tickMillis;
        spokeMask = spokeCount - 1;
        heads = new int[spokeCount];
        java.util.Arrays.fill(heads, NIL);
        next = new int[entries];
        prev = new int[entries];
        spokes = new int[entries];
        java.util.Arrays.fill(spokes, NIL);
        deadlines = new long[entries];
        currentTick = Math.floorDiv(nowMillis, tickMillis);
    }

    /** Sets (or moves) {@code entry}'s deadline. */
    void schedule(int entry, long deadlineMillis) {
        if (spokes[entry] != NIL) {
            unlink(entry);
        }
        deadlines[entry] = deadlineMillis;
        int spoke = (int) Math.max(Math.floorDiv(deadlineMillis, tickMillis), currentTick) & spokeMask;
        int head = heads[spoke];
        next[entry] = head;
        prev[entry] = NIL;
        if (head != NIL) {
            prev[head] = entry;
        }
        heads[spoke] = entry;
        spokes[entry] = spoke;
    }

    /** Takes {@code entry} off the wheel, if it is on it. */
    void cancel(int entry) {
        if (spokes[entry] != NIL) {
            unlink(entry);
        }
    }

    /** The entry's deadline, or {@link Long#MAX_VALUE} when it is not on the wheel. */
    long deadline(int entry) {
        return spokes[entry] == NIL ? Long.MAX_VALUE : deadlines[entry];
    }

    /**
     * Hands every entry whose deadline is in a tick that has ended by {@code nowMillis} to {@code expiry}, off the
     * wheel: each spoke is walked once, when its tick is over (at most one turn of the wheel, however long the
     * pause), so an entry expires within one tick after its deadline. The tick still running is not walked: walking
     * it at every call would pass over all its entries not yet due each time, and under a flood of new connections
     * a tick holds a quarter of a second's worth of them.
     */
    void expire(long nowMillis, Expiry expiry) {
        long nowTick = Math.floorDiv(nowMillis, tickMillis);
        if (nowTick <= currentTick) {
            return;
        }
        long first = nowTick - currentTick > spokeMask ? nowTick - 1 - spokeMask : currentTick;
        for (long tick = first; tick < nowTick; tick++) {
            walked += expireSpoke((int) tick & spokeMask, nowMillis, expiry);
        }
        currentTick = nowTick;
    }

    /** How many times an entry was looked at by {@link #expire}, since construction (tests). */
    long walked() {
        return walked;
    }

    private int expireSpoke(int spoke, long nowMillis, Expiry expiry) {
        int entry = heads[spoke];
        int seen = 0;
        while (entry != NIL) {
            seen++;
            int following = next[entry]; // read first: the entry may be unlinked and rescheduled below
            if (deadlines[entry] <= nowMillis) {
                unlink(entry);
                // A rescheduled entry goes to the head of its spoke, never after `following`: not seen twice.
                expiry.expired(entry, nowMillis);
            }
            entry = following;
        }
        return seen;
    }

    private void unlink(int entry) {
        int before = prev[entry];
        int after = next[entry];
        if (before == NIL) {
            heads[spokes[entry]] = after;
        } else {
            next[before] = after;
        }
        if (after != NIL) {
            prev[after] = before;
        }
        spokes[entry] = NIL;
    }
}
