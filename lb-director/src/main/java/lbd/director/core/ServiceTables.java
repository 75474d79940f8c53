package lbd.director.core;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import lbd.config.model.ClusterConfig;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.ServiceTable;

/**
 * The published tables and which of them need rebuilding: each input that changed (a health verdict, an lbadm
 * edit, a MAC hold) marks its own service, a reload marks every one. A rebuilt table equal to the one published
 * keeps the published instance, so the workers skip it; only tables that really changed are new. Conductor
 * thread only.
 */
final class ServiceTables {

    private Map<VirtualServiceKey, ServiceTable> published = Map.of();
    private final Set<VirtualServiceKey> marked = new HashSet<>();
    private boolean everything = true;
    // The effective configuration indexed by service, rebuilt when the configuration object changes.
    private ClusterConfig indexed;
    private final Map<VirtualServiceKey, VirtualService> byKey = new HashMap<>();
    private final Map<VirtualServiceKey, Long> builds = new HashMap<>();

    /** An input of this service's table changed. */
    void mark(VirtualServiceKey service) {
        marked.add(service);
    }

    /** The configuration changed: every table is rebuilt (and compared) on the next {@link #rebuild}. */
    void markEverything() {
        everything = true;
    }

    /**
     * Rebuilds the marked tables from {@code effective} and returns the services whose table is new or gone
     * since the last call: empty when nothing needs publishing.
     */
    Set<VirtualServiceKey> rebuild(ClusterConfig effective, Function<VirtualService, ServiceTable> build) {
        if (!everything && marked.isEmpty()) {
            return Set.of();
        }
        index(effective);
        Map<VirtualServiceKey, ServiceTable> next = new HashMap<>(published);
        Set<VirtualServiceKey> changed = new HashSet<>();
        Set<VirtualServiceKey> candidates = everything ? byKey.keySet() : marked;
        if (everything) {
            for (VirtualServiceKey key : published.keySet()) {
                if (!byKey.containsKey(key)) {
                    next.remove(key);
                    changed.add(key);
                }
            }
        }
        for (VirtualServiceKey key : candidates) {
            VirtualService vs = byKey.get(key);
            if (vs == null) {
                if (next.remove(key) != null) {
                    changed.add(key);
                }
                continue;
            }
            ServiceTable table = build.apply(vs);
            builds.merge(key, 1L, Long::sum);
            if (!table.equals(next.get(key))) {
                next.put(key, table);
                changed.add(key);
            }
        }
        marked.clear();
        everything = false;
        if (!changed.isEmpty()) {
            published = Map.copyOf(next);
        }
        return changed;
    }

    /** Every service's current table (the instances last returned as changed, or kept). */
    Map<VirtualServiceKey, ServiceTable> published() {
        return published;
    }

    /** How many times this service's table was built (tests and the flap benchmark count rebuilds). */
    long builds(VirtualServiceKey service) {
        return builds.getOrDefault(service, 0L);
    }

    private void index(ClusterConfig effective) {
        if (effective == indexed) {
            return;
        }
        byKey.clear();
        for (VirtualService vs : effective.virtualServices()) {
            byKey.put(vs.key(), vs);
        }
        builds.keySet().retainAll(byKey.keySet());
        indexed = effective;
    }
}
