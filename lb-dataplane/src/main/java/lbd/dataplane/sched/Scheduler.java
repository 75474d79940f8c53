package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * One worker's scheduler for one virtual service, with IPVS semantics. Owned by one thread; never locks,
 * never allocates in {@link #pick}.
 *
 * <p>Every scheduler skips a server flagged OVERLOAD ({@link DestinationCounters#overloaded()}: at its upper
 * connection threshold, {@code -x}) for a new connection, where and as the kernel's ip_vs_*.c do.
 */
public interface Scheduler {

    /**
     * Chooses a destination for a new connection.
     *
     * @param table    the current table: the one last passed to {@link #tableChanged}. A scheduler that is
     *                 handed a different table notices it and behaves as if {@link #tableChanged} had been
     *                 called first.
     * @param counters this worker's counters, aligned with {@code table.destinations()}
     * @return the index of the chosen destination, or -1 when none has weight > 0
     */
    int pick(ServiceTable table, DestinationCounters[] counters);

    /**
     * Whether the choice depends on the client's address (sh, mh): callers then use
     * {@link #pick(ServiceTable, DestinationCounters[], int)} with the address's fold.
     */
    default boolean hashesClient() {
        return false;
    }

    /**
     * As {@link #pick(ServiceTable, DestinationCounters[])}, for the client whose key is {@code clientFold}: the
     * kernel's fold of its address (an IPv4 address's 32 bits; an IPv6 address's four words XORed), plus its
     * source port when the table's sh-port / mh-port flag is set. Schedulers that do not hash the client ignore it.
     */
    default int pick(ServiceTable table, DestinationCounters[] counters, int clientFold) {
        return pick(table, counters);
    }

    /**
     * A new table replaced {@code previous} (null on the first table). State that IPVS keeps across
     * destination changes (rr position, wrr position and current weight) is carried over by real-server key,
     * the way the kernel's add_dest/del_dest/upd_dest hooks carry it. Called rarely; may allocate.
     */
    void tableChanged(ServiceTable previous, ServiceTable next);

    /**
     * The worker dropped this scheduler (its service was removed or its scheduler edited). A scheduler that
     * follows the counters (lc, wlc) stops, so that counts moving later do not keep updating it.
     */
    default void retire() {
    }
}
