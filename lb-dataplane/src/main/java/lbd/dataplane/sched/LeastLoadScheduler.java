package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS lc, wlc, sed, nq, fo and ovf: each chooses by the servers' current connections and weights under its
 * {@link LoadRule}, the first in list order among equals. The kernel scans every server at each new connection;
 * this keeps the choice current as counts change ({@link LeastLoadTournament}), so a pick is O(1) at any number
 * of servers.
 *
 * <p>The counts are this worker's: with one scheduler per core each worker balances its own connections,
 * which is what a per-CPU kernel would do without shared counters.
 */
final class LeastLoadScheduler implements Scheduler {

    private final LeastLoadTournament choice;

    LeastLoadScheduler(LoadRule rule) {
        this.choice = new LeastLoadTournament(rule);
    }

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
