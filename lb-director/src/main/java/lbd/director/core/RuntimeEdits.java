package lbd.director.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;

/**
 * Changes an operator made at run time with lbadm (weights, schedulers, added and removed real servers). They
 * hold until the next reload, as ipvsadm edits held until ldirectord next rewrote the table. Control-plane thread only.
 */
final class RuntimeEdits {

    private final Map<RealServerKey, Integer> weights = new HashMap<>();
    private final Map<RealServerKey, ConnectionThresholds> thresholds = new HashMap<>();
    private final Map<VirtualServiceKey, SchedulerKind> schedulers = new HashMap<>();
    private final Map<VirtualServiceKey, List<RealServer>> added = new HashMap<>();
    private final Set<RealServerKey> deleted = new HashSet<>();

    Optional<Integer> weight(RealServerKey key) {
        return Optional.ofNullable(weights.get(key));
    }

    void setWeight(RealServerKey key, int weight) {
        weights.put(key, weight);
    }

    /** lbadm -e -x -y (or -a of a configured server with other thresholds): until the next reload. */
    void setThresholds(RealServerKey key, ConnectionThresholds t) {
        thresholds.put(key, t);
    }

    /** The thresholds lbadm set, by server (read-only view). */
    Map<RealServerKey, ConnectionThresholds> thresholds() {
        return Collections.unmodifiableMap(thresholds);
    }

    Optional<SchedulerKind> scheduler(VirtualServiceKey key) {
        return Optional.ofNullable(schedulers.get(key));
    }

    void setScheduler(VirtualServiceKey key, SchedulerKind kind) {
        schedulers.put(key, kind);
    }

    void clear() {
        weights.clear();
        thresholds.clear();
        schedulers.clear();
        added.clear();
        deleted.clear();
    }

    boolean weightEdited(RealServerKey key) {
        return weights.containsKey(key);
    }

    /** lbadm -a: a configured server that lbadm deleted comes back; any other is added after the configured ones. */
    void addServer(RealServer server) {
        if (!deleted.remove(server.key())) {
            added.computeIfAbsent(server.key().service(), k -> new ArrayList<>()).add(server);
        }
    }

    /** lbadm -d: a server lbadm added is forgotten; a configured one is left out until the next reload. */
    void deleteServer(RealServerKey key, boolean configured) {
        List<RealServer> list = added.get(key.service());
        if (list != null) {
            list.removeIf(rs -> rs.key().equals(key));
        }
        if (configured) {
            deleted.add(key);
        }
        weights.remove(key);
        thresholds.remove(key);
    }

    /** {@code config} as lbadm's -a and -d left it: the same object when there are none (the usual case). */
    ClusterConfig apply(ClusterConfig config) {
        if (deleted.isEmpty() && added.values().stream().allMatch(List::isEmpty)) {
            return config;
        }
        List<VirtualService> services = new ArrayList<>();
        for (VirtualService vs : config.virtualServices()) {
            List<RealServer> servers = new ArrayList<>();
            for (RealServer rs : vs.realServers()) {
                if (!deleted.contains(rs.key())) {
                    servers.add(rs);
                }
            }
            servers.addAll(added.getOrDefault(vs.key(), List.of()));
            services.add(new VirtualService(vs.key(), vs.scheduler(), vs.persistence(), vs.netmask(), servers,
                    vs.healthCheck(), vs.quiescent(), vs.fallback(), vs.fallbackCommand(), vs.maxConnections(),
                    vs.idleTimeout(), vs.line(), vs.schedulerFlags(), vs.mhTableSize(), vs.alsoListen()));
        }
        return new ClusterConfig(config.source(), config.globals(), services);
    }
}
