package lbd.dataplane.sched;

import lbd.config.model.RealServerKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS rr (ip_vs_rr.c): walk the list from the server after the last one chosen and take the first with
 * weight > 0. The position survives table swaps by the last chosen server's key.
 */
public final class RoundRobin implements Scheduler {

    private int last = -1; // index of the last chosen destination; -1 = list head
    private RealServerKey lastKey;

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        var list = table.destinations();
        int n = list.size();
        for (int step = 1; step <= n; step++) {
            int i = (last + step) % n;
            if (i < 0) {
                i += n;
            }
            Destination d = list.get(i);
            if (d.weight() > 0) {
                last = i;
                lastKey = d.key();
                return i;
            }
        }
        return -1;
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        last = -1;
        if (lastKey != null) {
            for (Destination d : next.destinations()) {
                if (d.key().equals(lastKey)) {
                    last = d.index();
                    break;
                }
            }
        }
    }
}
