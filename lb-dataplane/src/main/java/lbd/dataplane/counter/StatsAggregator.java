package lbd.dataplane.counter;

import java.util.HashMap;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;

/**
 * Sums the per-worker counters into per-real-server and per-service totals. Runs on the control plane (a
 * listing, a metrics scrape); it only reads, so workers never wait for it. Each worker's fields are read one by
 * one with acquire reads: a total may mix instants, never torn values.
 *
 * <p>A real server removed from its table keeps its counters (its open connections still decrement them), so it
 * stays in the totals; a listing shows only the servers of the current table by looking them up here.
 */
public final class StatsAggregator {

    private StatsAggregator() {
    }

    /** Totals per real server over all workers. */
    public static Map<RealServerKey, RealServerStats> byRealServer(Iterable<? extends CounterSource> workers) {
        Map<RealServerKey, RealServerStats> totals = new HashMap<>();
        for (CounterSource worker : workers) {
            worker.forEachCounters((key, counters) ->
                    totals.merge(key, RealServerStats.of(counters), RealServerStats::plus));
        }
        return totals;
    }

    /** Totals per virtual service: the sum over its real servers (the fallback server included). */
    public static Map<VirtualServiceKey, RealServerStats> byService(Map<RealServerKey, RealServerStats> byRealServer) {
        Map<VirtualServiceKey, RealServerStats> totals = new HashMap<>();
        byRealServer.forEach((key, stats) -> totals.merge(key.service(), stats, RealServerStats::plus));
        return totals;
    }

    /** Totals per virtual service over all workers. */
    public static Map<VirtualServiceKey, RealServerStats> byService(Iterable<? extends CounterSource> workers) {
        return byService(byRealServer(workers));
    }
}
