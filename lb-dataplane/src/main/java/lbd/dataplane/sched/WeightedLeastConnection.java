package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS wlc (ip_vs_wlc.c): the server minimising {@code overhead / weight}, compared without division as
 * {@code loh * w(d) > doh * w(least)} in 64 bits. The first server with weight > 0 is the first candidate;
 * a later one replaces it only when strictly better ({@code >}), so ties go to the first in list order.
 * The kernel does not test later servers' weight, but a weight of 0 can never win that comparison; leaving
 * it out is the same choice. The kernel scans every server; this keeps the choice current as counts change
 * ({@link LeastLoadTournament}), so a pick is O(1) at any number of servers.
 */
public final class WeightedLeastConnection implements Scheduler {

    private final LeastLoadTournament choice = new LeastLoadTournament(true);

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        return choice.pick(table, counters);
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        // Nothing to carry over: the choice follows the table and counters it is handed at the next pick.
    }

    @Override
    public void retire() {
        choice.retire();
    }
}
