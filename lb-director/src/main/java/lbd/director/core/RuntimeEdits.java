package lbd.director.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.HealthCheck;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;

/**
 * Changes an operator made at run time with lbadm: weights, added and removed real servers, and whole virtual
 * services added ({@code -A}), edited ({@code -E}) and deleted ({@code -D}, {@code -C}). They hold until the next
 * reload, as ipvsadm edits held until ldirectord next rewrote the table. Control-plane thread only.
 */
final class RuntimeEdits {

    /**
     * A service lbadm adds has no health check, as an IPVS service made with ipvsadm -A: its real servers serve at
     * their weight (checktype=on).
     */
    private static final HealthCheck NO_CHECK = new HealthCheck(CheckType.ON, 0, ServiceType.NONE,
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(30), 1,
            Optional.empty(), Optional.empty(), Optional.empty(), "GET", Optional.empty(), Optional.empty());

    private final Map<RealServerKey, Integer> weights = new HashMap<>();
    private final Map<RealServerKey, ConnectionThresholds> thresholds = new HashMap<>();
    private final Map<VirtualServiceKey, List<RealServer>> added = new HashMap<>();
    private final Set<RealServerKey> deleted = new HashSet<>();
    private final Map<VirtualServiceKey, ServiceSettings> addedServices = new LinkedHashMap<>();
    private final Map<VirtualServiceKey, ServiceSettings> editedServices = new HashMap<>();
    private final Set<VirtualServiceKey> deletedServices = new HashSet<>();

    /** A copy, to go back to when an edit cannot be put into service (its VIP cannot be bound...). */
    RuntimeEdits copy() {
        RuntimeEdits c = new RuntimeEdits();
        c.weights.putAll(weights);
        c.thresholds.putAll(thresholds);
        added.forEach((k, v) -> c.added.put(k, new ArrayList<>(v)));
        c.deleted.addAll(deleted);
        c.addedServices.putAll(addedServices);
        c.editedServices.putAll(editedServices);
        c.deletedServices.addAll(deletedServices);
        return c;
    }

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

    void clear() {
        weights.clear();
        thresholds.clear();
        added.clear();
        deleted.clear();
        addedServices.clear();
        editedServices.clear();
        deletedServices.clear();
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

    /** lbadm -A: a service with no real servers and no health check (the caller checked it does not exist). */
    void addService(ServiceSettings settings) {
        addedServices.put(settings.key(), settings);
    }

    /** lbadm -E: the service's scheduler, persistence, netmask and flags, all as given. */
    void editService(ServiceSettings settings) {
        if (addedServices.containsKey(settings.key())) {
            addedServices.put(settings.key(), settings);
        } else {
            editedServices.put(settings.key(), settings);
        }
    }

    /** lbadm -D: the service and its real servers leave the table (open connections finish). */
    void deleteService(VirtualServiceKey key, boolean configured) {
        addedServices.remove(key);
        editedServices.remove(key);
        added.remove(key);
        deleted.removeIf(k -> k.service().equals(key));
        weights.keySet().removeIf(k -> k.service().equals(key));
        thresholds.keySet().removeIf(k -> k.service().equals(key));
        if (configured) {
            deletedServices.add(key);
        }
    }

    /**
     * The service as the configuration and lbadm's service edits (-A, -E, -D) make it, before its real servers
     * are edited: what -a and -d work on. Empty when there is no such service.
     */
    Optional<VirtualService> baseService(ClusterConfig config, VirtualServiceKey key) {
        ServiceSettings own = addedServices.get(key);
        if (own != null) {
            return Optional.of(newService(own));
        }
        if (deletedServices.contains(key)) {
            return Optional.empty();
        }
        return config.find(key).map(this::edited);
    }

    /** {@code config} with lbadm's edits applied: the same object when there are none (the usual case). */
    ClusterConfig apply(ClusterConfig config) {
        if (deleted.isEmpty() && added.values().stream().allMatch(List::isEmpty) && addedServices.isEmpty()
                && editedServices.isEmpty() && deletedServices.isEmpty()) {
            return config;
        }
        List<VirtualService> services = new ArrayList<>();
        for (VirtualService vs : config.virtualServices()) {
            if (!deletedServices.contains(vs.key())) {
                services.add(withServerEdits(edited(vs)));
            }
        }
        for (ServiceSettings s : addedServices.values()) {
            services.add(withServerEdits(newService(s)));
        }
        return new ClusterConfig(config.source(), config.globals(), services, config.sha256());
    }

    private VirtualService edited(VirtualService vs) {
        ServiceSettings s = editedServices.get(vs.key());
        if (s == null) {
            return vs;
        }
        return new VirtualService(vs.key(), s.scheduler(), s.persistence(), s.netmask(), vs.realServers(),
                vs.healthCheck(), vs.quiescent(), vs.fallback(), vs.fallbackCommand(), vs.maxConnections(),
                vs.idleTimeout(), vs.line(), s.flags(), vs.mhTableSize(), vs.alsoListen(), vs.reporting(),
                vs.nat());
    }

    private VirtualService withServerEdits(VirtualService vs) {
        List<RealServer> servers = new ArrayList<>();
        for (RealServer rs : vs.realServers()) {
            if (!deleted.contains(rs.key())) {
                servers.add(rs);
            }
        }
        servers.addAll(added.getOrDefault(vs.key(), List.of()));
        return new VirtualService(vs.key(), vs.scheduler(), vs.persistence(), vs.netmask(), servers,
                vs.healthCheck(), vs.quiescent(), vs.fallback(), vs.fallbackCommand(), vs.maxConnections(),
                vs.idleTimeout(), vs.line(), vs.schedulerFlags(), vs.mhTableSize(), vs.alsoListen(), vs.reporting(),
                vs.nat());
    }

    private static VirtualService newService(ServiceSettings s) {
        return new VirtualService(s.key(), s.scheduler(), s.persistence(), s.netmask(), List.of(), NO_CHECK, true,
                Optional.empty(), Optional.empty(), VirtualService.defaultMaxConnections(s.key().protocol()),
                Optional.empty(), 0, s.flags()); // the protocol's idle timeout
    }

    /** Whether lbadm added this service (it is not in the configuration file). */
    boolean addedService(VirtualServiceKey key) {
        return addedServices.containsKey(key);
    }

}
