package lbd.dataplane.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS lblcr (ip_vs_lblcr.c): locality-based least connection with replication. A destination address maps to
 * a set of servers (newest first). A connection goes to the member with the least {@code overhead / weight}
 * (weight > 0) unless that member is lblc-overloaded ({@link LocalityBasedLeastConnection#lblcOverloaded}); then
 * wlc over the whole service chooses and the choice joins the set. A set of more than one member unchanged for
 * {@link #EXPIRATION_MILLIS} (sysctl lblcr_expiration, 24 h) loses its most loaded member, one per period.
 *
 * <p>lbd's destination is the VIP: one set per service. The set is small (servers join only under overload), so
 * it is a list walked per pick. Confined to the worker thread.
 */
final class LocalityBasedReplication implements Scheduler {

    static final long EXPIRATION_MILLIS = 24 * 3600 * 1000L;

    private final List<RealServerKey> set = new ArrayList<>(); // newest first
    private long lastModifiedMillis;

    private ServiceTable table;
    private int[] weights = Weights.NONE;
    private Map<RealServerKey, Integer> index = Map.of();

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        return pickAt(table, counters, System.nanoTime() / 1_000_000);
    }

    /** At {@code nowMillis} (tests). */
    int pickAt(ServiceTable table, DestinationCounters[] counters, long nowMillis) {
        if (table != this.table) {
            this.table = table;
            weights = Weights.of(table);
            index = Weights.indexByKey(table);
        }
        for (int m = set.size() - 1; m >= 0; m--) {
            if (!index.containsKey(set.get(m))) {
                set.remove(m); // a server that left the service
            }
        }
        if (!set.isEmpty()) {
            int least = extreme(table, counters, true);
            if (set.size() > 1 && nowMillis - lastModifiedMillis > EXPIRATION_MILLIS) {
                int most = extreme(table, counters, false);
                if (most >= 0) {
                    set.remove(table.destinations().get(most).key());
                    lastModifiedMillis = nowMillis;
                }
            }
            if (least >= 0 && !LocalityBasedLeastConnection.lblcOverloaded(table, counters, least)) {
                return least;
            }
        }
        int chosen = LeastLoadTournament.scan(LoadRule.WLC, weights, counters);
        if (chosen >= 0) {
            RealServerKey key = table.destinations().get(chosen).key();
            if (!set.contains(key)) {
                set.addFirst(key);
                lastModifiedMillis = nowMillis;
            }
        }
        return chosen;
    }

    /**
     * The member with the least (or most) {@code overhead / weight} among those with weight > 0 (for the least,
     * not overloaded either), the first in the set (newest) among equals; -1 when there is none.
     */
    private int extreme(ServiceTable table, DestinationCounters[] counters, boolean least) {
        int best = -1;
        long bestLoad = 0;
        int bestWeight = 0;
        for (int m = 0; m < set.size(); m++) {
            int i = index.get(set.get(m));
            int w = table.destinations().get(i).weight();
            if (w <= 0 || least && counters[i].overloaded()) {
                continue; // ip_vs_dest_set_min skips overloaded members; set_max does not
            }
            long load = LoadRule.connOverhead(counters[i]);
            boolean better = least ? bestLoad * w > load * bestWeight : load * bestWeight > bestLoad * w;
            if (best < 0 || better) {
                best = i;
                bestLoad = load;
                bestWeight = w;
            }
        }
        return best;
    }

    /** Members of the set, newest first (tests). */
    List<RealServerKey> members() {
        return List.copyOf(set);
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        // Members are kept by key; those that left the table are dropped at the next pick.
    }
}
