package lbd.dataplane.nat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lbd.config.model.VirtualServiceKey;
import org.HdrHistogram.Histogram;

/**
 * The reader side of the loops' {@link ConnectLatency} recorders: one cumulative histogram per service (a
 * Prometheus histogram only ever grows), fed with each loop's interval histogram on every read. Reads are
 * serialized by this object's monitor; the loops never take it.
 */
final class ConnectLatencyTotals {

    private final Map<VirtualServiceKey, Histogram> totals = new HashMap<>();

    /** Folds every loop's new recordings in and returns copies of the totals, one per service. */
    synchronized Map<VirtualServiceKey, Histogram> read(List<NatLoop> loops) {
        for (NatLoop loop : loops) {
            loop.forEachConnectLatency((service, latency) ->
                    latency.addTo(totals.computeIfAbsent(service, k -> ConnectLatency.newTotal())));
        }
        Map<VirtualServiceKey, Histogram> copies = new LinkedHashMap<>();
        totals.forEach((service, total) -> copies.put(service, total.copy()));
        return copies;
    }
}
