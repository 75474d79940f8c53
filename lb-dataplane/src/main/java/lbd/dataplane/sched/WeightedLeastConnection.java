package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS wlc (ip_vs_wlc.c): the server minimising {@code overhead / weight}, compared without division as
 * {@code loh * w(d) > doh * w(least)} in 64 bits. The first server with weight > 0 is the first candidate;
 * a later one replaces it only when strictly better ({@code >}), so ties go to the first in list order.
 * The kernel does not test later servers' weight, but a weight of 0 can never win that comparison; skipping
 * it is the same choice. Stateless between picks.
 */
public final class WeightedLeastConnection implements Scheduler {

    private ServiceTable current;
    private int[] weights = Weights.NONE;

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        if (table != current) {
            tableChanged(current, table);
        }
        final int[] w = weights;
        final int n = w.length;
        int least = 0;
        while (least < n && w[least] == 0) {
            least++;
        }
        if (least == n) {
            return -1;
        }
        long loh = LeastConnection.overhead(counters[least]);
        long lw = w[least];
        for (int i = least + 1; i < n; i++) {
            int dw = w[i];
            if (dw == 0) {
                continue;
            }
            long doh = LeastConnection.overhead(counters[i]);
            if (loh * dw > doh * lw) {
                least = i;
                loh = doh;
                lw = dw;
            }
        }
        return least;
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        current = next;
        weights = Weights.of(next);
    }
}
