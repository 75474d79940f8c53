package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS wrr (ip_vs_wrr.c). State: {@code cl} the current position (a server, or the list head), {@code cw}
 * the current weight, {@code mw} the weight of the first pass and {@code di} the step, the gcd of the
 * positive weights. A pick walks on from {@code cl} and takes the first server whose weight is
 * {@code >= cw}; each time the walk wraps to the head, {@code cw -= di}, and when {@code cw <= 0} it starts
 * over at {@code mw}. As in current kernels {@code mw = max - (di - 1)}, so the last pass runs with
 * {@code cw = 1}. Weights 4,3,2 give A A B A B C A B C, then again.
 *
 * <p>On a table swap the kernel's dest_changed hook runs when the destinations changed (a server added or
 * removed, a weight or forwarding edited): the position goes back to the head, {@code di} and {@code mw}
 * are recomputed, and {@code cw} is set to {@code mw} when above it (or 0), else rounded to
 * {@code (cw / di) * di + 1}. A swap that changes several servers at once counts as one such change with the
 * final list. A swap that leaves this service's destinations as they were (another service changed, or only
 * a timeout) keeps {@code cl} and {@code cw} — the position is carried by the real server's key.
 */
public final class WeightedRoundRobin implements Scheduler {

    private static final int HEAD = -1;
    private static final int NO_STOP = -2;

    private ServiceTable current;
    private int[] weights = Weights.NONE;
    private int cl = HEAD;
    private int cw;
    private int mw;
    private int di = 1;

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        if (table != current) {
            tableChanged(current, table);
        }
        if (mw == 0) {
            return -1; // every weight is 0 (or no servers)
        }
        final int[] w = weights;
        final int n = w.length;
        final int last = cl;
        int from = cl;
        int stop = NO_STOP;
        boolean lastPass = false;
        boolean restarted = false;
        // Bounded: the walk stops after every server was checked against cw = 1 (the kernel's stop logic): when
        // every server with weight > 0 is overloaded, no server.
        while (true) {
            for (int i = from + 1; i < n; i++) {
                if (w[i] >= cw && !counters[i].overloaded()) {
                    cl = i;
                    return i;
                }
                if (i == stop) {
                    cl = i;
                    return -1;
                }
            }
            from = HEAD;
            cw -= di;
            if (cw <= 0) {
                cw = mw;
                if (lastPass || last == HEAD) {
                    cl = HEAD;
                    return -1;
                }
                restarted = true;
            }
            lastPass = cw <= di;
            if (lastPass && restarted && last != HEAD) {
                stop = last;
            }
        }
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        current = next;
        weights = Weights.of(next);
        if (previous == null || next == null) {
            // ip_vs_wrr_init_svc
            cl = HEAD;
            di = gcdOfPositive(weights);
            mw = max(weights) - (di - 1);
            cw = mw;
            return;
        }
        if (previous.destinations().equals(next.destinations())) {
            return; // same servers, order, weights: the kernel would not have been told anything
        }
        // ip_vs_wrr_dest_changed
        cl = HEAD;
        di = gcdOfPositive(weights);
        mw = max(weights) - (di - 1);
        if (cw > mw || cw == 0) {
            cw = mw;
        } else if (di > 1) {
            cw = (cw / di) * di + 1;
        }
    }

    /** gcd of the weights > 0; 1 when there are none. */
    static int gcdOfPositive(int[] weights) {
        int g = 0;
        for (int w : weights) {
            if (w > 0) {
                g = g == 0 ? w : gcd(w, g);
            }
        }
        return g == 0 ? 1 : g;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static int max(int[] weights) {
        int m = 0;
        for (int w : weights) {
            m = Math.max(m, w);
        }
        return m;
    }
}
