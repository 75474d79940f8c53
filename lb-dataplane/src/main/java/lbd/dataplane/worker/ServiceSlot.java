package lbd.dataplane.worker;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import lbd.config.model.Endpoint;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.sched.Scheduler;
import lbd.dataplane.sched.Schedulers;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * One worker's view of one virtual service: the current table, this worker's scheduler state and its
 * counters aligned with the table's destinations. Confined to the worker's thread.
 *
 * <p>For a persistent service it is also what the service's shared templates ask while binding a connection
 * ({@link PersistenceTemplates.Candidates}): whether a template's server still holds, and the scheduler's choice.
 */
public final class ServiceSlot implements PersistenceTemplates.Candidates {

    private final Scheduler scheduler;
    private final Map<RealServerKey, DestinationCounters> countersByKey;
    private ServiceTable table;
    private DestinationCounters[] counters = new DestinationCounters[0];
    private DestinationCounters fallbackCounters;
    private Map<RealServerKey, Integer> indexByKey = Map.of();
    private Persistence persistence;
    private final PersistenceTemplates.Binding binding = new PersistenceTemplates.Binding();
    private int pendingFold; // the client of the bind in progress, for a scheduler that hashes it
    private final int workerIndex;
    private final int workerCount;
    // alsolisten=: for each of its ports, each destination's address at that port (made at install, read per connection)
    private int[] alsoPorts = new int[0];
    private Endpoint[][] alsoTargets = new Endpoint[0][];

    ServiceSlot(Scheduler scheduler, Map<RealServerKey, DestinationCounters> countersByKey) {
        this(scheduler, countersByKey, 0, 1);
    }

    /** For worker {@code workerIndex} of {@code workerCount}: it applies its share of the thresholds. */
    ServiceSlot(Scheduler scheduler, Map<RealServerKey, DestinationCounters> countersByKey, int workerIndex,
                int workerCount) {
        this.scheduler = scheduler;
        this.countersByKey = countersByKey;
        this.workerIndex = workerIndex;
        this.workerCount = workerCount;
    }

    void install(ServiceTable next) {
        ServiceTable previous = table;
        DestinationCounters[] aligned = new DestinationCounters[next.destinations().size()];
        for (Destination d : next.destinations()) {
            aligned[d.index()] = countersByKey.computeIfAbsent(d.key(), DestinationCounters::new);
            aligned[d.index()].limit(WorkerShare.upper(d.thresholds(), workerIndex, workerCount),
                    WorkerShare.lower(d.thresholds(), workerIndex, workerCount));
        }
        fallbackCounters = next.fallback()
                .map(f -> countersByKey.computeIfAbsent(f.key(), DestinationCounters::new))
                .orElse(null);
        counters = aligned;
        // Persistence asks it on every bind, a NAT UDP flow after every table change (whether its server holds).
        Map<RealServerKey, Integer> byKey = new HashMap<>();
        for (Destination d : next.destinations()) {
            byKey.put(d.key(), d.index());
        }
        indexByKey = byKey;
        persistence = next.persistence().orElse(null);
        int[] ports = next.alsoListen().stream().mapToInt(k -> k.address().port()).distinct().toArray();
        Endpoint[][] targets = new Endpoint[ports.length][next.destinations().size()];
        for (int p = 0; p < ports.length; p++) {
            for (Destination d : next.destinations()) {
                targets[p][d.index()] = new Endpoint(d.address().address(), ports[p]);
            }
        }
        alsoPorts = ports;
        alsoTargets = targets;
        table = next;
        scheduler.tableChanged(previous, next);
    }

    /** The worker dropped this slot: its scheduler stops following the counters, which outlive it. */
    void retire() {
        scheduler.retire();
    }

    public ServiceTable table() {
        return table;
    }

    /** Index of the destination for a new connection, or -1 when no destination has weight > 0. */
    public int pick() {
        return scheduler.pick(table, counters);
    }

    /** As {@link #pick()}, for the client whose key is {@code clientKey} ({@link #clientKey}; sh and mh hash it). */
    public int pick(int clientKey) {
        return scheduler.pick(table, counters, clientKey);
    }

    /** What sh and mh hash for a client: its address's fold, plus its source port under sh-port / mh-port. */
    public int clientKey(int addressFold, int port) {
        return table.schedulerFlags().port() ? addressFold + port : addressFold;
    }

    /** Whether the scheduler hashes the client's address (callers then pass its fold). */
    public boolean hashesClient() {
        return scheduler.hashesClient();
    }

    /** The service's persistence, or null when it is not persistent. */
    public Persistence persistence() {
        return persistence;
    }

    /**
     * A persistent service's destination for a new connection from {@code client} (NAT): the client network's
     * template's server, else the scheduler's; the binding (index, and the handle that releases the connection)
     * is valid until the next call on this thread.
     */
    public PersistenceTemplates.Binding bindPersistent(InetAddress client, int port, long nowMillis) {
        pendingFold = scheduler.hashesClient() ? clientKey(Schedulers.clientFold(client), port) : 0;
        persistence.bind(client, nowMillis, this, binding);
        return binding;
    }

    /** As above for a DR client's IPv4 address. */
    public PersistenceTemplates.Binding bindPersistent(int clientIpv4, int port, long nowMillis) {
        pendingFold = clientKey(clientIpv4, port);
        persistence.bind(clientIpv4, nowMillis, this, binding);
        return binding;
    }

    /** As above for a DR client's IPv6 address, as its two 64-bit halves. */
    public PersistenceTemplates.Binding bindPersistent(long clientHigh, long clientLow, int port, long nowMillis) {
        pendingFold = clientKey(ipv6Fold(clientHigh, clientLow), port);
        persistence.bind(clientHigh, clientLow, nowMillis, this, binding);
        return binding;
    }

    /** The kernel's fold of an IPv6 address (its four 32-bit words XORed), from its two halves. */
    public static int ipv6Fold(long high, long low) {
        return (int) (high >>> 32) ^ (int) high ^ (int) (low >>> 32) ^ (int) low;
    }

    // ---- PersistenceTemplates.Candidates: called under a template stripe's lock, on this slot's thread ----

    @Override
    public int indexOf(RealServerKey server) {
        Integer index = indexByKey.get(server);
        if (index == null || table.destinations().get(index).down()) {
            return -1; // removed, or held down by a health check: the client is scheduled afresh
        }
        return index; // weight 0 set by the operator keeps its persistent clients, as in IPVS
    }

    /**
     * The index of {@code server} in the current table, whatever its weight or health, or -1 when it is not in
     * the service (any more): a connection scheduled elsewhere carries on to its server as long as the server is
     * in the service, as IPVS's connections do.
     */
    public int indexOfServer(RealServerKey server) {
        Integer index = indexByKey.get(server);
        return index == null ? -1 : index;
    }

    @Override
    public int choose() {
        return pick(pendingFold);
    }

    @Override
    public RealServerKey keyOf(int index) {
        return table.destinations().get(index).key();
    }

    /**
     * Where a connection accepted on {@code listen} goes when {@code d} takes it: {@code d}'s address, at the port
     * the client connected to when that is one of the service's alsolisten= ports (as IPVS sends a firewall-mark
     * service's connections to the client's port). Allocates nothing.
     */
    public Endpoint target(Destination d, VirtualServiceKey listen) {
        int port = listen.address().port();
        if (alsoPorts.length == 0 || d.index() < 0 || port == d.address().port()) {
            return d.address();
        }
        for (int p = 0; p < alsoPorts.length; p++) {
            if (alsoPorts[p] == port) {
                return alsoTargets[p][d.index()];
            }
        }
        return d.address();
    }

    public Destination destination(int index) {
        return table.destinations().get(index);
    }

    public DestinationCounters counters(int index) {
        return counters[index];
    }

    /** Counters of the fallback server, or null when the table has none. */
    public DestinationCounters fallbackCounters() {
        return fallbackCounters;
    }
}
