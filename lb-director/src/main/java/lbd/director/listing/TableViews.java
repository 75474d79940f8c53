package lbd.director.listing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import lbd.config.model.ClusterConfig;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.RealServerStats;
import lbd.dataplane.counter.StatsAggregator;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.director.core.RealServerState;

/**
 * Captures a {@link TableView} from what the control plane owns: the configuration (order, persistence), the
 * published tables (effective weights and schedulers — what the data plane really does), the health verdicts,
 * the summed counters and the rates. Runs on the control thread; the result is immutable.
 */
public final class TableViews {

    /** The note of the fallback server while it is in use. */
    static final String FALLBACK_NOTE = "fallback: every real server is down";

    private TableViews() {
    }

    /**
     * @param health       the verdict of each real server
     * @param weightEdited whether lbadm set this real server's weight (noted in the listing)
     * @param stats        counters per real server summed over the workers
     * @param rates        rates per real server
     */
    public static TableView capture(ClusterConfig config, DataPlaneSnapshot snapshot,
                                    Function<RealServerKey, RealServerState> health,
                                    Predicate<RealServerKey> weightEdited,
                                    Map<RealServerKey, RealServerStats> stats,
                                    Map<RealServerKey, Rates> rates) {
        Map<VirtualServiceKey, RealServerStats> serviceStats = StatsAggregator.byService(stats);
        List<ServiceView> services = new ArrayList<>();
        for (VirtualService vs : config.virtualServices()) {
            ServiceTable table = snapshot.service(vs.key());
            if (table == null) {
                continue; // not published yet (a reload in progress)
            }
            List<DestinationView> destinations = new ArrayList<>();
            Set<RealServerKey> listed = new HashSet<>();
            Rates serviceRates = Rates.ZERO;
            Map<RealServerKey, Integer> templates = table.persistence()
                    .map(p -> p.templates().countByServer(System.nanoTime() / 1_000_000)).orElse(Map.of());
            for (Destination d : table.destinations()) {
                listed.add(d.key());
                destinations.add(destination(d, note(d.key(), health, weightEdited), health.apply(d.key()).up(), stats,
                        rates, templates));
            }
            if (table.fallbackInUse()) {
                Destination f = table.fallback().get();
                listed.add(f.key());
                destinations.add(destination(f, FALLBACK_NOTE, true, stats, rates,
                        templates));
            }
            for (Map.Entry<RealServerKey, Rates> e : rates.entrySet()) {
                if (e.getKey().service().equals(vs.key())) {
                    serviceRates = serviceRates.plus(e.getValue());
                }
            }
            List<HeldOutView> heldOut = new ArrayList<>();
            for (RealServer rs : vs.ipvsOrder()) {
                if (!listed.contains(rs.key())) {
                    heldOut.add(new HeldOutView(rs.address(), health.apply(rs.key()).reason()));
                }
            }
            services.add(new ServiceView(vs.key(), table.scheduler().configName(), vs.persistence(), vs.listedNetmask(),
                    serviceStats.getOrDefault(vs.key(), RealServerStats.ZERO), serviceRates, destinations, heldOut,
                    table.schedulerFlags().listed(table.scheduler())));
        }
        return new TableView(services);
    }

    private static DestinationView destination(Destination d, String note, boolean up,
                                               Map<RealServerKey, RealServerStats> stats,
                                               Map<RealServerKey, Rates> rates, Map<RealServerKey, Integer> templates) {
        return new DestinationView(d.address(), d.forwarding(), d.weight(),
                stats.getOrDefault(d.key(), RealServerStats.ZERO), rates.getOrDefault(d.key(), Rates.ZERO), note, up,
                templates.getOrDefault(d.key(), 0), d.thresholds());
    }

    private static String note(RealServerKey key, Function<RealServerKey, RealServerState> health,
                               Predicate<RealServerKey> weightEdited) {
        RealServerState state = health.apply(key);
        if (!state.up()) {
            return "down: " + state.reason();
        }
        return weightEdited.test(key) ? "weight set by lbadm" : "";
    }
}
