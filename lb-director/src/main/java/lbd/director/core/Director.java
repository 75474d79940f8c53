package lbd.director.core;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.DaemonStatus;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.GlobalSettings;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.dr.DrOptions;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.dataplane.dr.DrStateFile;
import lbd.dataplane.dr.FlowHandOver;
import lbd.dataplane.nat.NatProxy;
import lbd.dataplane.nat.NatSettings;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.TransportKind;
import lbd.dataplane.worker.WorkerState;
import lbd.health.HealthEvent;
import lbd.director.alert.EmailAlerts;
import lbd.director.host.SourceAddressCheck;
import lbd.director.host.TransparentRouting;
import lbd.director.host.UserPipePages;
import lbd.health.HealthListener;
import lbd.health.HealthMonitor;
import lbd.health.HealthState;
import lbd.health.HealthView;
import lbd.health.InheritedVerdict;
import lbd.health.RealServerStatus;
import lbd.health.ServiceHealth;
import lbd.director.unix.SeqPacketSocket;
import lbd.director.upgrade.HandOver;
import lbd.director.upgrade.DrFlowHandOver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane. Its state — the configuration, the health verdicts, the operator's run-time edits, the
 * listeners, the published tables — belongs to one thread, the {@link ControlConductor} ("lbd-control"): every
 * public method here is a message on its inbox, and health verdicts and MAC resolutions arrive the same way.
 * Each duty cycle applies its messages, rebuilds only the tables whose inputs changed ({@link ServiceTables}),
 * publishes at most one snapshot, and only then acts outward: listeners accept (a VIP never accepts before its
 * table is published), the DR plane follows, and the health checks follow the effective configuration — in the
 * order the changes were made, so no later apply can undo an earlier one. Nothing here locks.
 */
public final class Director implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final SnapshotPublisher publisher = new SnapshotPublisher();
    private final NatProxy nat;
    private final DrBinding dr;
    private final HealthMonitor health;
    private final ControlConductor conductor;
    private final EmailAlerts alerts;
    private final RecentTransitions transitions = new RecentTransitions();

    // ---- owned by the conductor thread ----
    private ClusterConfig config;
    private volatile Path drStateOnStop; // cleanstop=no: where shutdown saves the DR state
    private ClusterConfig effective; // config with lbadm's -a and -d applied
    private final Map<RealServerKey, RealServerState> states = new HashMap<>();
    private RuntimeEdits edits = new RuntimeEdits();
    private static final RuntimeEdits NO_EDITS = new RuntimeEdits(); // a reload drops lbadm's edits
    private final Set<VirtualServiceKey> listening = new HashSet<>();
    private final ServiceTables tables = new ServiceTables();
    // What the next cycle does outward after publishing (listeners to start accepting on).
    private final List<Runnable> afterPublish = new ArrayList<>();
    // The effective configuration changed: the DR plane and the health checks follow it after publishing.
    private boolean effectiveChanged;
    // ipvsadm --set: kept across reloads, as the kernel's are (ldirectord never sets them).
    private ConnectionTimeouts timeouts = ConnectionTimeouts.DEFAULTS;
    private boolean timeoutsChanged;
    private long version;
    // lbd upgrade: the sockets the process before handed over, taken by the first openNewListeners (start), and
    // the verdicts the first states start from. Empty otherwise.
    private final Map<VirtualServiceKey, int[]> handedSockets = new HashMap<>();
    private Map<RealServerKey, InheritedVerdict> inheritedVerdicts = Map.of();

    private Director(ClusterConfig config, Transport transport, int eventLoops, boolean drAnswersArp,
            boolean drStartHeld) {
        this.config = config;
        this.effective = config;
        NatSettings nat = new NatSettings(transport, eventLoops, Duration.ofSeconds(10));
        ConnectionCeiling ceiling = connectionCeiling(config, nat);
        nat = nat.withMaxConnections(ceiling.maxConnections()).withMaxPipes(ceiling.maxPipes());
        if (ceiling.splices() && ceiling.maxPipes() == 0) {
            nat = nat.withSpliceThresholdBytes(0);
        }
        this.nat = new NatProxy(nat, publisher);
        this.conductor = new ControlConductor(this::afterMessages);
        DrOptions drOptions = DrOptions.defaults().withArpAnswering(drAnswersArp).withStartHeld(drStartHeld);
        this.dr = new DrBinding(publisher, withDrSettings(drOptions, config, eventLoops),
                task -> conductor.post("direct routing: MAC resolution", task), this::holdsChanged);
        this.alerts = new EmailAlerts(config);
        this.health = new HealthMonitor(new HealthListener() {
            @Override
            public void onTransition(HealthEvent event) {
                transitions.add(Transition.of(event));
                onHealth(event);
                alerts.onTransition(event); // queues the mail, if any: never waits on a relay
            }

            @Override
            public void onFallback(VirtualServiceKey service, boolean active) {
                // lb-health logs the event and runs fallbackcommand. The tables need nothing more: the data
                // plane uses a table's fallback whenever no destination has weight > 0.
                alerts.onFallback(service, active);
                transitions.add(Transition.fallback(service, active, Instant.now()));
            }
        });
    }

    /**
     * Starts the data plane on {@code config}: binds every masq VIP, starts the health checks, publishes the
     * first tables. Throws {@link DirectorException} with an operator-facing message when it cannot.
     */
    public static Director start(ClusterConfig config, Transport transport, int eventLoops) {
        return start(config, transport, eventLoops, true);
    }

    /**
     * As {@link #start(ClusterConfig, Transport, int)}; {@code drAnswersArp} false starts the DR data plane
     * silent on ARP for its VIPs (the backup of an HA pair) until {@link #answerDrArp} says otherwise.
     */
    public static Director start(ClusterConfig config, Transport transport, int eventLoops, boolean drAnswersArp) {
        return start(config, transport, eventLoops, drAnswersArp, HandOver.NONE);
    }

    /**
     * As {@link #start(ClusterConfig, Transport, int, boolean)}, taking over from the lbd before this one
     * ({@code lbd upgrade}): its VIPs' sockets are adopted instead of bound (clients queued in them are served
     * here), and the health checks start from its verdicts. Sockets of VIPs this configuration does not have are
     * closed (the old process still has its own until it stops). When the start fails, every socket handed over is
     * closed here: the old process goes on serving on its own. The DR workers start held (neither forwarding nor
     * answering ARP: the old process still does) until {@link #drFlowHandOver}'s restore.
     */
    public static Director start(ClusterConfig config, Transport transport, int eventLoops, boolean drAnswersArp,
            HandOver handOver) {
        Director d;
        try {
            d = new Director(config, transport, eventLoops, drAnswersArp, handOver != HandOver.NONE);
        } catch (RuntimeException e) {
            handOver.sockets().values().forEach(SeqPacketSocket::closeAll);
            throw e;
        }
        d.handedSockets.putAll(handOver.sockets());
        d.inheritedVerdicts = handOver.verdicts();
        d.health.inherit(handOver.verdicts());
        try {
            d.nat.start();
            d.health.start();
            d.conductor.call("start", () -> {
                d.requireNatSources(config);
                d.dr.prepare(config); // a refusal (no interface, no raw socket) stops lbd here
                d.initStates(config);
                List<VirtualServiceKey> bound = d.openNewListeners(config, d.edits);
                d.afterPublish.add(() -> bound.forEach(d.nat::accept)); // accepting only once the tables exist
                d.configurationChanged();
                return null;
            });
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        } finally {
            d.handedSockets.values().forEach(SeqPacketSocket::closeAll); // VIPs no longer configured, or a failure
            d.handedSockets.clear();
            d.inheritedVerdicts = Map.of();
        }
    }

    /**
     * {@code lbd upgrade}, old side: what the new process takes over — copies of every VIP's sockets' descriptors
     * (the caller closes them once sent; this process keeps its own until {@link #stopAccepting}) and the checked
     * real servers' verdicts.
     */
    public HandOver handOver() {
        // Copies (dup), taken on the conductor, which alone closes listeners: a reload that closes one meanwhile
        // cannot leave a descriptor number here that a new file reuses. The caller closes them once sent.
        Map<VirtualServiceKey, int[]> sockets = conductor.call("lbd upgrade: hand-over", () -> {
            Map<VirtualServiceKey, int[]> copies = new HashMap<>();
            nat.listenerDescriptors().forEach((vip, fds) -> copies.put(vip, SeqPacketSocket.duplicates(fds)));
            return copies;
        });
        Map<RealServerKey, InheritedVerdict> verdicts = new HashMap<>();
        for (ServiceHealth service : health.services()) {
            for (RealServerStatus server : service.servers()) {
                if (server.checked() && service.service().healthCheck().type() != CheckType.ON
                        && service.service().healthCheck().type() != CheckType.OFF) {
                    verdicts.put(server.server().key(),
                            new InheritedVerdict(server.state(), server.reason(), server.maintenance()));
                }
            }
        }
        return new HandOver(sockets, verdicts);
    }

    /**
     * {@code lbd upgrade}'s direct-routing connections and templates, through {@code scratch} (a file in the runtime
     * directory): the old process's {@link DrFlowHandOver#save} holds its DR workers and saves, the new one's
     * {@link DrFlowHandOver#restore} restores and lets its workers (started held) forward.
     */
    public DrFlowHandOver drFlowHandOver(Path scratch) {
        return new DrFlowsThroughFile(dr, scratch);
    }

    /**
     * Why this lbd cannot hand over to a new process, or empty: a gate server on this director itself (its TUN
     * device and rule are this process's), or transport=nio (no descriptors to give). masq, gate and ipip services
     * all hand over: ipip runs on the DR workers' flows as gate does, and its tunnel egress is the routing table's,
     * which the new process resolves before its first tables (DrBinding's start), so before its workers forward.
     */
    public Optional<String> handOverRefusal() {
        return conductor.call("lbd upgrade: check", () -> {
            if (dr.deliversLocally()) {
                return Optional.of("a gate real server is this director itself (local delivery through "
                        + lbd.director.dr.LocalNode.DEVICE + "), whose device lbd upgrade does not hand over yet;"
                        + " restart lbd instead, with cleanstop=no to keep the DR connections");
            }
            if (nat.transport() == lbd.dataplane.transport.TransportKind.NIO) {
                return Optional.of("transport=nio cannot hand its sockets to another process (the JDK names no"
                        + " descriptor of a channel); use transport=epoll or io_uring, or restart lbd");
            }
            return Optional.empty();
        });
    }

    /**
     * {@code lbd upgrade}, old side, once the new process serves: closes this process's copies of the VIPs' TCP
     * sockets (the sockets stay open in the new process, their queues with them) and stops reading its UDP ones
     * (their open flows' replies still go out through them); established connections go on.
     */
    public void stopAccepting() {
        conductor.call("lbd upgrade: stop accepting", () -> {
            for (VirtualServiceKey key : List.copyOf(listening)) {
                nat.stopAccepting(key);
            }
            listening.clear();
            return null;
        });
    }

    public SnapshotPublisher publisher() {
        return publisher;
    }

    public NatProxy nat() {
        return nat;
    }

    /**
     * Runs {@code answer} on the control plane's thread in its next duty cycle, without waiting: that it runs is
     * proof that the conductor still applies its inbox (systemd's watchdog). Any thread.
     */
    public void pingControlPlane(Runnable answer) {
        conductor.post("watchdog", answer);
    }

    /** The health checks' published state (immutable snapshots; any thread). */
    public HealthView health() {
        return health;
    }

    /** Every data-plane worker (NAT event loops, then DR workers), for summing counters. Any thread. */
    public List<WorkerState> workerStates() {
        List<WorkerState> all = new ArrayList<>(nat.workers());
        all.addAll(dr.workerStates());
        return all;
    }

    /**
     * Any thread: the connection table as IPVS lists it — NAT proxied connections, DR flows, persistence
     * templates — at most {@code limit} from each owner (a loop, a worker, a service's templates), each described
     * by its owner; owners that do not answer within {@code wait} are counted but not listed.
     */
    public List<ConnectionEntries> connections(int limit, Duration wait) {
        List<ConnectionEntries> all = new ArrayList<>(nat.connections(limit, wait));
        all.addAll(dr.connections(limit, wait));
        long now = System.nanoTime() / 1_000_000; // the templates' clock (the workers bind with it)
        for (ServiceTable table : publisher.current().services().values()) {
            table.persistence().ifPresent(p -> all.add(p.describeTemplates(table.key(), now, limit)));
        }
        return all;
    }

    /** The direct-routing workers' frame counters (forwarded, and each drop reason), summed. Any thread. */
    public Map<String, Long> directRoutingFrames() {
        return dr.frameCounters();
    }

    /** Each DR worker's flow table occupancy (empty without a gate service). Any thread. */
    public List<FlowOccupancy> directRoutingFlows() {
        return dr.flowOccupancy();
    }

    /** Each gate real server's neighbour state: true MAC resolved, false held down. Conductor thread (onControl). */
    public Map<RealServerKey, Boolean> directRoutingNeighbours() {
        return dr.neighbourStates();
    }

    /** The latest health and fallback transitions, oldest first (at most 50). */
    public List<Transition> recentTransitions() {
        return transitions.list();
    }

    /**
     * The HA switch of the DR data plane (matches lbd.director.ha.DrArpControl): answer ARP for these DR VIPs
     * and announce them (active node), or stay silent (backup). Any thread; applied on the DR thread.
     */
    public void answerDrArp(Set<? extends InetAddress> vips, boolean answer) {
        conductor.call("HA: " + (answer ? "answer ARP for " : "leave ARP for ") + vips, () -> {
            dr.answerArp(vips, answer); // published in the directory; the DR thread announces after publication
            return null;
        });
    }

    /**
     * Applies a new configuration as a diff; unchanged real servers keep their health and counters. Returns what
     * changed, "3 virtual services (1 added, 0 removed)", for the reload's log line.
     */
    public String reload(ClusterConfig next) {
        Objects.requireNonNull(next, "next");
        DaemonStatus before = alerts.status();
        alerts.status(DaemonStatus.RELOADING);
        try {
            return reloadOnConductor(next);
        } finally {
            alerts.status(before);
        }
    }

    /**
     * The daemon's status as ldirectord's alert mail reports it and emailalertstatus= filters it: lbd starts as
     * starting; the launcher says running once it serves and stopping when a stop begins; a reload is reloading.
     */
    public void daemonStatus(DaemonStatus status) {
        alerts.status(status);
    }

    private String reloadOnConductor(ClusterConfig next) {
        return conductor.call("reload", () -> {
            requireNatSources(next); // changes nothing: a refusal leaves the running configuration
            // First what can fail, each undoing itself: new listeners, then the DR plane for a first gate service.
            List<VirtualServiceKey> opened = openNewListeners(next, NO_EDITS);
            try {
                dr.prepare(next);
            } catch (RuntimeException e) {
                opened.forEach(nat::stopListening);
                listening.removeAll(opened);
                throw e;
            }
            ClusterConfig previous = config;
            config = next;
            edits.clear();
            Set<RealServerKey> keep = new HashSet<>();
            for (VirtualService vs : next.virtualServices()) {
                for (RealServer rs : vs.realServers()) {
                    keep.add(rs.key());
                }
            }
            states.keySet().retainAll(keep);
            initStates(next);
            closeRemovedListeners(next, NO_EDITS); // before their tables go: a listener is never open without its table
            afterPublish.add(() -> opened.forEach(nat::accept)); // bound above; first clients wait for the table
            configurationChanged();
            String diff = reloadDiff(previous, next);
            alerts.configure(next);
            return diff;
        });
    }

    /**
     * Runs {@code task} on the conductor thread and waits for it (bounded), rethrowing its failure: for reading
     * the control plane's state (listings, metrics). A task that changes state must also mark what it changed.
     */
    public <T> T onControl(Callable<T> task) {
        return conductor.call("query", task);
    }

    /** A health verdict (any thread): queued for the conductor; one cycle takes every verdict waiting. */
    void onHealth(HealthEvent event) {
        conductor.post("health " + event.server().address() + " " + event.state().word(), () -> applyHealth(event));
    }

    /** Conductor thread: how many times a service's table was built (tests count rebuilds). */
    long tableBuilds(VirtualServiceKey service) {
        return tables.builds(service);
    }

    /** Control thread: the health verdict of every real server, for listings. */
    public RealServerState state(RealServerKey key) {
        return dr.effective(key, states.getOrDefault(key, RealServerState.UNCHECKED));
    }

    public ClusterConfig config() {
        return config;
    }

    // ---- run-time edits (lbadm) and queries for listings and metrics ----

    /** Control thread: the configuration with lbadm's added and removed real servers applied. */
    public ClusterConfig effectiveConfig() {
        return effective;
    }

    /** Control thread: whether lbadm set this real server's weight (the listing says so). */
    public boolean weightEdited(RealServerKey key) {
        return edits.weightEdited(key);
    }

    /** {@code lbadm -e}: a weight until the next reload (0 drains: no new connections, open ones go on). */
    public void setWeight(RealServerKey key, int weight) {
        setWeight(key, weight, Optional.empty());
    }

    /**
     * {@code lbadm -e ... -g|-m|-i}: as {@link #setWeight(RealServerKey, int)}, and the forwarding method given
     * must be the server's: lbd does not change a real server's method (delete it and add it with the other one).
     */
    public void setWeight(RealServerKey key, int weight, Optional<ForwardingMethod> forwarding) {
        if (weight < 0) {
            throw new DirectorException("weight must be 0 or more: " + weight);
        }
        conductor.call("lbadm weight " + key.address(), () -> {
            RealServer server = findServer(key);
            sameForwarding(server, forwarding);
            edits.setWeight(key, weight);
            tables.mark(key.service());
            return null;
        });
    }

    /**
     * {@code lbadm -e ... -w W [-x U] [-y L] [-g|-m|-i]}: the weight and the connection thresholds until the next
     * reload, as ipvsadm -e sets them (thresholds not given are 0); the forwarding method as in
     * {@link #setWeight(RealServerKey, int, Optional)}.
     */
    public void editServer(RealServerKey key, int weight, Optional<ForwardingMethod> forwarding,
                           ConnectionThresholds thresholds) {
        Objects.requireNonNull(thresholds, "thresholds");
        conductor.call("lbadm edit " + key.address(), () -> {
            RealServer server = findServer(key);
            if (weight < 0) {
                throw new DirectorException("weight must be 0 or more: " + weight);
            }
            sameForwarding(server, forwarding);
            edits.setWeight(key, weight);
            edits.setThresholds(key, thresholds);
            tables.mark(key.service());
            return null;
        });
    }

    /**
     * {@code lbadm --set tcp tcpfin udp}: the connection timeouts, in seconds, 0 leaving one as it is; published
     * for the DR flow tables, and kept across reloads as the kernel keeps them. A new udp timeout also rebuilds the
     * tables of the udp services without idletimeout= (their NAT flows' idle timeout is it). Returns what is now in
     * force.
     */
    public ConnectionTimeouts setTimeouts(int tcp, int tcpFin, int udp) {
        return conductor.call("lbadm --set " + tcp + " " + tcpFin + " " + udp, () -> {
            ConnectionTimeouts next;
            try {
                next = timeouts.with(tcp, tcpFin, udp);
            } catch (IllegalArgumentException e) {
                throw new DirectorException(e.getMessage());
            }
            if (!next.equals(timeouts)) {
                if (next.udpSeconds() != timeouts.udpSeconds()) {
                    for (VirtualService vs : effective.virtualServices()) {
                        if (vs.protocol() == Protocol.UDP && vs.idleTimeout().isEmpty()) {
                            tables.mark(vs.key());
                        }
                    }
                }
                timeouts = next;
                timeoutsChanged = true;
            }
            return next;
        });
    }

    /** {@code lbadm -L --timeout}: the connection timeouts in force. Any thread (the published snapshot's). */
    public ConnectionTimeouts timeouts() {
        return publisher.current().timeouts();
    }

    /** {@code lbadm -E -s}: the scheduler until the next reload; the service's other settings are kept. */
    public void setScheduler(VirtualServiceKey key, SchedulerKind scheduler) {
        conductor.call("lbadm scheduler " + key, () -> {
            VirtualService vs = findService(key);
            RuntimeEdits before = edits.copy();
            edits.editService(new ServiceSettings(key, scheduler, vs.persistence(), vs.netmask(),
                    vs.schedulerFlags()));
            edited(before, Optional.of(key));
            return null;
        });
    }

    /**
     * {@code lbadm -A}: a virtual service until the next reload, with no real servers and no health check (as one
     * ipvsadm adds). It accepts connections once it has a real server; a masq one makes it a NAT service, a gate
     * one a DR service. Refused ("Service already exists") when there is one.
     */
    public void addService(ServiceSettings settings) {
        conductor.call("lbadm add service " + settings.key(), () -> {
            if (edits.baseService(config, settings.key()).isPresent()) {
                throw new DirectorException("Service already exists: " + settings.key());
            }
            RuntimeEdits before = edits.copy();
            edits.addService(settings);
            edited(before, Optional.empty());
            return null;
        });
    }

    /** {@code lbadm -E}: a service's scheduler, persistence, netmask and flags, as given, until the next reload. */
    public void editService(ServiceSettings settings) {
        conductor.call("lbadm edit service " + settings.key(), () -> {
            if (edits.baseService(config, settings.key()).isEmpty()) {
                throw new DirectorException("No such service: " + settings.key());
            }
            RuntimeEdits before = edits.copy();
            edits.editService(settings);
            edited(before, Optional.of(settings.key()));
            return null;
        });
    }

    /** {@code lbadm -D}: a service leaves the table until the next reload; its open connections finish. */
    public void deleteService(VirtualServiceKey key) {
        conductor.call("lbadm delete service " + key, () -> {
            if (edits.baseService(config, key).isEmpty()) {
                throw new DirectorException("No such service: " + key);
            }
            RuntimeEdits before = edits.copy();
            edits.deleteService(key, config.find(key).isPresent());
            edited(before, Optional.empty());
            return null;
        });
    }

    /** {@code lbadm -C}: every service leaves the table until the next reload; open connections finish. */
    public void clearServices() {
        conductor.call("lbadm clear", () -> {
            RuntimeEdits before = edits.copy();
            for (VirtualService vs : effective.virtualServices()) {
                edits.deleteService(vs.key(), config.find(vs.key()).isPresent());
            }
            edited(before, Optional.empty());
            return null;
        });
    }

    /** {@code lbadm -a}: a real server until the next reload, health-checked like the configured ones. */
    public void addServer(RealServerKey key, ForwardingMethod forwarding, int weight) {
        addServer(key, forwarding, weight, ConnectionThresholds.NONE);
    }

    /** {@code lbadm -a ... -x U -y L}: as above, with connection thresholds (0 when not given, as ipvsadm). */
    public void addServer(RealServerKey key, ForwardingMethod forwarding, int weight,
                          ConnectionThresholds thresholds) {
        conductor.call("lbadm add " + key.address(), () -> {
            VirtualService vs = findService(key.service());
            VirtualService now = effective.find(key.service()).orElseThrow();
            if (now.realServers().stream().anyMatch(rs -> rs.key().equals(key))) {
                throw new DirectorException("Destination already exists: " + key.address() + " in " + key.service());
            }
            if (!now.realServers().isEmpty() && now.forwarding().directRouted() != forwarding.directRouted()) {
                throw new DirectorException(key.service() + " forwards with " + now.forwarding().configName()
                        + "; lbd does not mix " + now.forwarding().configName() + " and " + forwarding.configName()
                        + " in one service");
            }
            if (!forwarding.keepsPortOf(key.service().address().port(), key.address().port())) {
                throw new DirectorException(forwarding.configName() + " cannot change the port: the real server must"
                        + " listen on " + key.service().address().port());
            }
            RealServer configured = vs.realServers().stream().filter(rs -> rs.key().equals(key)).findFirst()
                    .orElse(null);
            RuntimeEdits before = edits.copy();
            edits.addServer(configured != null ? configured
                    : new RealServer(key, forwarding, weight, Optional.empty(), Optional.empty(), 0, thresholds));
            if (configured != null && configured.weight() != weight) {
                edits.setWeight(key, weight);
            }
            if (configured != null && !configured.thresholds().equals(thresholds)) {
                edits.setThresholds(key, thresholds);
            }
            states.putIfAbsent(key, initialState(vs));
            edited(before, Optional.of(key.service()));
            return null;
        });
    }

    /** {@code lbadm -d}: no new connections to the server until the next reload; open ones finish. */
    public void deleteServer(RealServerKey key) {
        conductor.call("lbadm delete " + key.address(), () -> {
            findServer(key);
            boolean configured = findService(key.service()).realServers().stream()
                    .anyMatch(rs -> rs.key().equals(key));
            RuntimeEdits before = edits.copy();
            edits.deleteServer(key, configured);
            edited(before, Optional.of(key.service()));
            return null;
        });
    }

    /** lbd does not change a real server's forwarding method: a restated one must be the server's. */
    private static void sameForwarding(RealServer server, Optional<ForwardingMethod> forwarding) {
        if (forwarding.isPresent() && forwarding.get() != server.forwarding()) {
            throw new DirectorException(server.address() + " forwards with " + server.forwarding().configName()
                    + "; lbd cannot change a real server's forwarding method to " + forwarding.get().configName()
                    + ": delete it (-d) and add it again (-a) with the new one");
        }
    }

    /** The service as the file and lbadm's service edits make it, before lbadm's real-server edits. */
    private VirtualService findService(VirtualServiceKey key) {
        return edits.baseService(config, key)
                .orElseThrow(() -> new DirectorException("Service not defined: " + key));
    }

    private RealServer findServer(RealServerKey key) {
        return effective.find(key.service())
                .orElseThrow(() -> new DirectorException("Service not defined: " + key.service()))
                .realServers().stream().filter(rs -> rs.key().equals(key)).findFirst()
                .orElseThrow(() -> new DirectorException("No such destination: " + key.address() + " is not a real"
                        + " server of " + key.service()));
    }

    private void initStates(ClusterConfig cfg) {
        for (VirtualService vs : cfg.virtualServices()) {
            for (RealServer rs : vs.realServers()) {
                InheritedVerdict handed = inheritedVerdicts.get(rs.key());
                RealServerState initial = initialState(vs);
                if (handed != null && initial == RealServerState.UNCHECKED) {
                    // lbd upgrade: checked already by the process before; the checks go on from its verdict
                    initial = new RealServerState(handed.state() == HealthState.UP, handed.reason());
                }
                states.putIfAbsent(rs.key(), initial);
            }
        }
    }

    /** A server's state until its first verdict (see {@link RealServerState#UNCHECKED}). */
    private static RealServerState initialState(VirtualService vs) {
        return switch (vs.healthCheck().type()) {
            case ON -> RealServerState.ALWAYS_UP;
            case OFF -> RealServerState.ALWAYS_DOWN;
            default -> RealServerState.UNCHECKED;
        };
    }

    private void applyHealth(HealthEvent event) {
        RealServerState before = states.get(event.server());
        if (before == null) {
            return; // removed by a reload while the check was in flight
        }
        boolean up = event.state() == HealthState.UP;
        states.put(event.server(), new RealServerState(up, event.reason()));
        tables.mark(event.server().service());
    }

    /** The DR thread's resolution, applied on the conductor: these servers' MAC or hold changed. */
    private void holdsChanged(Set<RealServerKey> servers) {
        servers.forEach(k -> tables.mark(k.service()));
    }

    /**
     * lbadm changed {@code edits} (it was {@code before}): the effective configuration follows, with what it needs
     * outward — new masq VIPs bound (accepting once published), a first gate service's DR start, VIPs no longer
     * masq closed. When a VIP cannot be bound or DR refuses, the edit is undone and refused, nothing changed.
     *
     * @param only the one service whose table the edit changed, or empty: rebuild and compare every table
     */
    private void edited(RuntimeEdits before, Optional<VirtualServiceKey> only) {
        ClusterConfig next = edits.apply(config);
        List<VirtualServiceKey> opened;
        try {
            opened = openNewListeners(next, edits);
            try {
                dr.prepare(next);
            } catch (RuntimeException e) {
                opened.forEach(nat::stopListening);
                listening.removeAll(opened);
                throw e;
            }
        } catch (RuntimeException e) {
            edits = before;
            throw e;
        }
        closeRemovedListeners(next, edits);
        initStates(next);
        afterPublish.add(() -> opened.forEach(nat::accept));
        effective = next;
        effectiveChanged = true;
        only.ifPresentOrElse(tables::mark, tables::markEverything);
    }

    /** Start or reload: every table is rebuilt and compared; DR and health follow the new configuration. */
    private void configurationChanged() {
        effective = edits.apply(config);
        effectiveChanged = true;
        tables.markEverything();
    }

    /**
     * The end of each duty cycle: rebuild the marked tables, publish one snapshot if any changed, then act
     * outward — listeners accept, the DR plane and the health checks follow the effective configuration.
     */
    private void afterMessages() {
        if (effectiveChanged) {
            dr.configure(effective);
        }
        Set<VirtualServiceKey> changed = tables.rebuild(effective,
                vs -> TableFactory.build(vs, this::state, edits, dr::egress, tables.published().get(vs.key()),
                        timeouts));
        boolean directoryChanged = dr.takeDirectoryChanged();
        DataPlaneSnapshot published = publisher.current();
        if (!changed.isEmpty() || directoryChanged || timeoutsChanged || version == 0) {
            long previous = version == 0 ? DataPlaneSnapshot.NO_PREVIOUS : version;
            version++;
            timeoutsChanged = false;
            published = new DataPlaneSnapshot(version, tables.published(), previous, changed, dr.directory(),
                    timeouts);
            publisher.publish(published);
            log.debug("published tables v{} ({} changed)", version, changed.size());
        }
        for (Runnable action : afterPublish) {
            action.run();
        }
        afterPublish.clear();
        if (effectiveChanged || directoryChanged) {
            dr.afterPublish(published);
        }
        if (effectiveChanged) {
            effectiveChanged = false;
            health.apply(effective); // from this thread only, so in the order the changes were made
        }
    }

    /**
     * Binds the masq VIPs of {@code cfg} that are not bound yet — all or none: when one cannot be bound, the ones
     * just opened are closed again and nothing else has changed, so a reload that fails here leaves the running
     * configuration exactly as it was. They accept only once their tables are published ({@link NatProxy#accept}).
     */
    private List<VirtualServiceKey> openNewListeners(ClusterConfig cfg, RuntimeEdits withEdits) {
        List<VirtualServiceKey> opened = new ArrayList<>();
        for (Map.Entry<VirtualServiceKey, VirtualServiceKey> listen : masqServices(cfg, withEdits).entrySet()) {
            VirtualServiceKey key = listen.getKey();
            if (listening.contains(key)) {
                continue;
            }
            int[] handed = handedSockets.remove(key);
            try {
                nat.adopt(key, listen.getValue(), handed == null ? new int[0] : handed);
            } catch (java.io.IOException e) {
                opened.forEach(nat::stopListening);
                listening.removeAll(opened);
                throw new DirectorException(key + ": cannot accept connections: " + e.getMessage(), e);
            }
            listening.add(key);
            opened.add(key);
        }
        return opened;
    }

    /**
     * What the addresses lbd connects to real servers from need of the host: transparent=yes a transport that can
     * open a socket from another host's address and the routing for the replies ({@link TransparentRouting}),
     * sourceaddress= addresses configured here ({@link SourceAddressCheck}); every missing piece is a line of the
     * refusal.
     */
    private void requireNatSources(ClusterConfig cfg) {
        List<String> problems = new ArrayList<>(SourceAddressCheck.problems(cfg));
        if (cfg.virtualServices().stream().anyMatch(vs -> vs.nat().transparent())) {
            if (nat.transport() == TransportKind.NIO) {
                problems.add("transparent=yes needs transport=epoll or io_uring: Java's NIO sockets cannot be opened"
                        + " from another host's address (no IP_TRANSPARENT); the NAT proxy runs on nio");
            }
            problems.addAll(TransparentRouting.problems(cfg));
        }
        if (!problems.isEmpty()) {
            throw new DirectorException(String.join("\n", problems));
        }
    }

    /** Stops accepting on VIPs no longer in {@code cfg}; their open connections finish. */
    private void closeRemovedListeners(ClusterConfig cfg, RuntimeEdits withEdits) {
        Set<VirtualServiceKey> wanted = masqServices(cfg, withEdits).keySet();
        for (VirtualServiceKey key : Set.copyOf(listening)) {
            if (!wanted.contains(key)) {
                nat.stopListening(key);
                listening.remove(key);
                log.info("{}: no longer accepting (removed from the table); open connections finish", key);
            }
        }
    }

    /**
     * Each VIP:port the NAT proxy accepts on (a masq service's own, and its alsolisten= ones) to its service. A
     * service lbadm added listens only once it has a real server (its first server's method decides); one from
     * the file with none listens as masq, as always.
     */
    private static Map<VirtualServiceKey, VirtualServiceKey> masqServices(ClusterConfig cfg, RuntimeEdits withEdits) {
        Map<VirtualServiceKey, VirtualServiceKey> keys = new HashMap<>();
        for (VirtualService vs : cfg.virtualServices()) {
            if (vs.forwarding() == ForwardingMethod.MASQ
                    && !(vs.realServers().isEmpty() && withEdits.addedService(vs.key()))) {
                keys.put(vs.key(), vs.key());
                for (VirtualServiceKey also : vs.alsoListen()) {
                    keys.put(also, vs.key());
                }
            }
        }
        return keys;
    }

    private static DrOptions withDrSettings(DrOptions defaults, ClusterConfig cfg, int eventLoops) {
        DrOptions o = eventLoops > 0 ? defaults.withWorkers(eventLoops) : defaults;
        // Half the heap for the workers' flow tables: the rest is the NAT proxy's connections and everything else.
        return o.withInterfaces(cfg.globals().networkInterfaces()).withXdp(cfg.globals().xdp())
                .withFlowBudget(Runtime.getRuntime().maxMemory() / 2);
    }

    /**
     * The NAT proxy's connection ceiling, from maxconn= or the open-files limit, and where it splices its limit on
     * splicing directions; logged (a warning when beyond).
     */
    private static ConnectionCeiling connectionCeiling(ClusterConfig config, NatSettings nat) {
        long limit = Long.MAX_VALUE;
        long open = 0;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            limit = unix.getMaxFileDescriptorCount();
            open = unix.getOpenFileDescriptorCount();
        }
        boolean splices = NatProxy.wouldSplice(nat);
        UserPipePages pages = splices ? UserPipePages.read() : null;
        ConnectionCeiling ceiling = ConnectionCeiling.of(config.globals().maxConnections(), limit, open,
                nat.effectiveEventLoops(), splices, splices ? pages.fullSizePipes() : Integer.MAX_VALUE);
        if (ceiling.beyondLimit()) {
            log.warn(ceiling.describe());
        } else {
            log.info(ceiling.describe());
        }
        if (splices) {
            log.info(ceiling.describePipes(pages.describe()));
        }
        return ceiling;
    }

    /** "3 virtual services (1 added, 0 removed)", for the reload's line; warns of directives read only at start. */
    private static String reloadDiff(ClusterConfig previous, ClusterConfig next) {
        int added = 0;
        int removed = 0;
        for (VirtualService vs : next.virtualServices()) {
            if (previous.find(vs.key()).isEmpty()) {
                added++;
            }
        }
        for (VirtualService vs : previous.virtualServices()) {
            if (next.find(vs.key()).isEmpty()) {
                removed++;
            }
        }
        List<String> atStart = startOnlyChanges(previous.globals(), next.globals());
        if (!atStart.isEmpty()) {
            log.warn("configuration reloaded: {} changed, which lbd reads only when it starts: the running"
                    + " values stay until the next restart", String.join(", ", atStart));
        }
        return next.virtualServices().size() + " virtual services (" + added + " added, " + removed + " removed)";
    }

    /** The global directives whose values a running lbd cannot change (its loops, sockets and ceiling). */
    static List<String> startOnlyChanges(GlobalSettings previous, GlobalSettings next) {
        List<String> changed = new ArrayList<>();
        if (previous.transport() != next.transport()) {
            changed.add("transport=");
        }
        if (previous.eventLoops() != next.eventLoops()) {
            changed.add("eventloops=");
        }
        if (previous.maxConnections() != next.maxConnections()) {
            changed.add("maxconn=");
        }
        if (!previous.controlSocket().equals(next.controlSocket())) {
            changed.add("controlsocket=");
        }
        if (!previous.metricsAddress().equals(next.metricsAddress())) {
            changed.add("metrics=");
        }
        if (!previous.logfile().equals(next.logfile())) {
            changed.add("logfile=");
        }
        if (previous.logFormat() != next.logFormat()) {
            changed.add("logformat=");
        }
        if (!previous.networkInterfaces().equals(next.networkInterfaces())) {
            changed.add("interface=");
        }
        if (previous.xdp() != next.xdp()) {
            changed.add("xdp=");
        }
        return changed;
    }

    /**
     * Saves the direct-routing data path's connections and persistence templates to {@code path}, for another
     * lbd process to {@link #restoreDrState} (a restart with cleanstop=no, an upgrade). Any thread; the DR workers
     * keep forwarding (each writes its own table between two batches). Throws {@link java.io.UncheckedIOException}
     * when the file cannot be written.
     */
    public FlowHandOver.Counts saveDrState(Path path) {
        return dr.saveState(path);
    }

    /**
     * Gives the DR state another lbd process saved in {@code path} ({@link #saveDrState}) to this one: each
     * connection carries on to its real server from its next packet, with what was left of its timer; templates
     * join their services'. A missing file restores nothing; a stale, corrupt or foreign file is ignored (from
     * the first bad message on), said in {@link DrStateFile.Restored#warnings()}. Any thread.
     */
    public DrStateFile.Restored restoreDrState(Path path) {
        return dr.restoreState(path);
    }

    /** The direct-routing data path while one runs (a gate service), else null: the connection sync's. Any thread. */
    public lbd.dataplane.dr.DrDataPlane directRoutingPlane() {
        return dr.plane();
    }

    /**
     * On {@link #shutdown}, once no new connection is accepted and just before the DR workers stop: save their
     * state to {@code path} (cleanstop=no), or, with null, nothing.
     */
    public void saveDrStateOnStop(Path path) {
        drStateOnStop = path;
    }

    /** Stops accepting, lets open connections drain up to {@code drain}, then closes everything. */
    public void shutdown(Duration drain) {
        alerts.status(DaemonStatus.STOPPING);
        health.close();
        alerts.close();
        nat.shutdown(drain);
        conductor.close();
        Path save = drStateOnStop;
        if (save != null) {
            try {
                FlowHandOver.Counts saved = dr.saveState(save);
                log.info("cleanstop=no: {} DR connections and {} persistence templates saved to {} for the next start{}",
                        saved.flows(), saved.templates(), save,
                        saved.left() > 0 ? " (" + saved.left() + " of a worker that did not answer left out)" : "");
            } catch (java.io.UncheckedIOException e) {
                log.error("cleanstop=no: cannot save the DR connections to {}: {}", save, e.getCause().getMessage());
            }
        }
        dr.close();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
