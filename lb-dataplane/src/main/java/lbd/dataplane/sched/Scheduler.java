package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * One worker's scheduler for one virtual service, with IPVS semantics. Owned by one thread; never locks,
 * never allocates in {@link #pick}.
 */
public interface Scheduler {

    /**
     * Chooses a destination for a new connection.
     *
     * @param table    the current table (the same one last passed to {@link #tableChanged}, or the first)
     * @param counters this worker's counters, aligned with {@code table.destinations()}
     * @return the index of the chosen destination, or -1 when none has weight > 0
     */
    int pick(ServiceTable table, DestinationCounters[] counters);

    /**
     * A new table replaced {@code previous} (null on the first table). State that IPVS keeps across
     * destination changes (rr position, wrr position and current weight) is carried over by real-server key.
     */
    void tableChanged(ServiceTable previous, ServiceTable next);
}
