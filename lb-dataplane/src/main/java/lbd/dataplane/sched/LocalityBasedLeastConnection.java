package lbd.dataplane.sched;

import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS lblc (ip_vs_lblc.c): locality-based least connection, for cache farms. A cache maps each destination
 * address to the server that took it; a connection reuses that server while it has weight > 0 and is not
 * "lblc-overloaded" (more active connections than its weight while some server of the service has fewer than
 * half its weight active) — IPVS's OVERLOAD flag is not consulted there — else wlc chooses (skipping overloaded
 * servers) and the cache entry is replaced. An entry unused for
 * {@link #EXPIRATION_MILLIS} (sysctl lblc_expiration, 24 h) is gone (IPVS's collector may keep it up to about
 * 30 minutes longer).
 *
 * <p>lbd's destination is the VIP, so the cache has one entry per service: the service sticks to one server
 * until it overloads in that sense, then moves to the least loaded. Confined to the worker thread.
 */
final class LocalityBasedLeastConnection implements Scheduler {

    static final long EXPIRATION_MILLIS = 24 * 3600 * 1000L;

    private RealServerKey cached; // the VIP's entry: its server, or null
    private long lastUseMillis;

    private ServiceTable table;
    private int[] weights = Weights.NONE;
    private Map<RealServerKey, Integer> index = Map.of();

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        return pickAt(table, counters, System.nanoTime() / 1_000_000);
    }

    /** At {@code nowMillis} (tests). */
    int pickAt(ServiceTable table, DestinationCounters[] counters, long nowMillis) {
        follow(table);
        if (cached != null && nowMillis - lastUseMillis <= EXPIRATION_MILLIS) {
            lastUseMillis = nowMillis;
            Integer at = index.get(cached);
            int i = at == null ? -1 : at;
            if (i >= 0 && table.destinations().get(i).weight() > 0 && !lblcOverloaded(table, counters, i)) {
                return i;
            }
        }
        int chosen = LeastLoadTournament.scan(LoadRule.WLC, weights, counters);
        if (chosen >= 0) {
            cached = table.destinations().get(chosen).key();
            lastUseMillis = nowMillis;
        }
        return chosen;
    }

    /** ip_vs_lblc.c is_overloaded: busier than its weight while another server is under half of its own. */
    static boolean lblcOverloaded(ServiceTable table, DestinationCounters[] counters, int i) {
        if (counters[i].activeConnections() <= table.destinations().get(i).weight()) {
            return false;
        }
        for (Destination d : table.destinations()) {
            if (counters[d.index()].activeConnections() * 2L < d.weight()) {
                return true;
            }
        }
        return false;
    }

    /** A new table: its weights and its index by key, made once (then a pick allocates nothing). */
    private void follow(ServiceTable next) {
        if (next != table) {
            table = next;
            weights = Weights.of(next);
            index = Weights.indexByKey(next);
        }
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        // The entry names its server by key: one that left the table is found no more, and wlc chooses.
    }
}
