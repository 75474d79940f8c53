package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS lc (ip_vs_lc.c): the server with the smallest overhead, {@code active * 256 + inactive}
 * (ip_vs_dest_conn_overhead), among those with weight > 0. Only a strictly smaller overhead displaces the
 * current choice, so ties go to the first in list order. The kernel finds it by scanning every server; this
 * keeps it current as counts change ({@link LeastLoadTournament}), so a pick is O(1) at any number of servers.
 *
 * <p>The counts are this worker's: with one scheduler per core each worker balances its own connections,
 * which is what a per-CPU kernel would do without shared counters.
 */
public final class LeastConnection implements Scheduler {

    private final LeastLoadTournament choice = new LeastLoadTournament(false);

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
