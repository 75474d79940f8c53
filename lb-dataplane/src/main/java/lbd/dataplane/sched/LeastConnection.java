package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS lc (ip_vs_lc.c): the server with the smallest overhead, {@code active * 256 + inactive}
 * (ip_vs_dest_conn_overhead), among those with weight > 0. Only a strictly smaller overhead displaces the
 * current choice, so ties go to the first in list order. Stateless between picks.
 *
 * <p>The counts are this worker's: with one scheduler per core each worker balances its own connections,
 * which is what a per-CPU kernel would do without shared counters.
 */
public final class LeastConnection implements Scheduler {

    private ServiceTable current;
    private int[] weights = Weights.NONE;

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        if (table != current) {
            tableChanged(current, table);
        }
        final int[] w = weights;
        int least = -1;
        long leastOverhead = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] == 0) {
                continue;
            }
            long overhead = overhead(counters[i]);
            if (least < 0 || overhead < leastOverhead) {
                least = i;
                leastOverhead = overhead;
            }
        }
        return least;
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        current = next;
        weights = Weights.of(next);
    }

    /** ip_vs_dest_conn_overhead: an active connection is thought to cost 256 times an inactive one. */
    static long overhead(DestinationCounters c) {
        return ((long) c.activeConnections() << 8) + c.inactiveConnections();
    }
}
