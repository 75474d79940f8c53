package lbd.dataplane.sched;

import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS rr (ip_vs_rr.c): walk the list from the server after the last one chosen, wrapping through the list
 * head, and take the first with weight > 0 that is not overloaded. The position is the last chosen server, kept by its key across
 * table swaps:
 * <ul>
 *   <li>a server added (at the list head) or a weight change leaves the position alone (rr has no
 *       add_dest/upd_dest hook);</li>
 *   <li>when the last chosen server is removed, the position moves to its predecessor (ip_vs_rr_del_dest),
 *       so the next pick continues with the server that followed the removed one. If several servers go at
 *       once, the position is the nearest preceding server that survives, or the list head.</li>
 * </ul>
 */
public final class RoundRobin implements Scheduler {

    private static final int HEAD = -1;

    private ServiceTable current;
    private int[] weights = Weights.NONE;
    private int last = HEAD; // index of the last chosen destination, or HEAD
    private RealServerKey lastKey; // its key; null at HEAD

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        if (table != current) {
            tableChanged(current, table);
        }
        final int[] w = weights;
        final int n = w.length;
        int i = last;
        for (int step = 0; step < n; step++) {
            if (++i == n) {
                i = 0;
            }
            if (w[i] > 0 && !counters[i].overloaded()) {
                if (i != last) {
                    last = i;
                    lastKey = table.destinations().get(i).key();
                }
                return i;
            }
        }
        return -1;
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        current = next;
        weights = Weights.of(next);
        if (lastKey == null || next == null) {
            last = HEAD;
            lastKey = null;
            return;
        }
        Map<RealServerKey, Integer> nextIndex = Weights.indexByKey(next);
        Integer same = nextIndex.get(lastKey);
        if (same != null) {
            last = same;
            return;
        }
        // ip_vs_rr_del_dest: the last chosen server is gone; step back to the nearest survivor before it.
        last = HEAD;
        RealServerKey gone = lastKey;
        lastKey = null;
        if (previous == null) {
            return;
        }
        List<Destination> old = previous.destinations();
        int at = positionOf(old, gone);
        for (int i = at - 1; i >= 0; i--) {
            Integer survivor = nextIndex.get(old.get(i).key());
            if (survivor != null) {
                last = survivor;
                lastKey = old.get(i).key();
                return;
            }
        }
    }

    private static int positionOf(List<Destination> list, RealServerKey key) {
        for (Destination d : list) {
            if (d.key().equals(key)) {
                return d.index();
            }
        }
        return -1;
    }
}
