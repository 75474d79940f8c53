package lbd.dataplane.table;

import java.net.Inet6Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualService;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;

/**
 * Control plane: builds the data-plane table of one virtual service from its configuration and the run-time
 * state the director keeps — effective weights (a health check holding a server quiescent at 0, an operator's
 * {@code lbadm -e}) and the servers taken out (a failed check with quiescent=no). Never runs on a worker.
 *
 * <p>Destinations are in IPVS list order ({@link VirtualService#ipvsOrder()}: the last {@code real=} line first),
 * which is the order rr and wrr walk and lc/wlc break ties in. The connect bound of the NAT proxy is the
 * service's {@code connecttimeout}: how long the operator allows a connect to these servers to take.
 */
public final class ServiceTableBuilder {

    private ServiceTableBuilder() {
    }

    /** The table with the configured scheduler. */
    public static ServiceTable build(VirtualService service, Map<RealServerKey, Integer> effectiveWeights,
                                     Set<RealServerKey> removed) {
        return build(service, service.scheduler(), effectiveWeights, removed);
    }

    /**
     * The table with a scheduler chosen at run time ({@code lbadm -E -s}).
     *
     * @param effectiveWeights weight per real server where it differs from the configured one (others ignored)
     * @param removed          real servers not to schedule at all (absent from the table)
     * @throws IllegalArgumentException when a weight is negative
     */
    public static ServiceTable build(VirtualService service, SchedulerKind scheduler,
                                     Map<RealServerKey, Integer> effectiveWeights, Set<RealServerKey> removed) {
        return build(service, scheduler, effectiveWeights, removed, key -> Egress.UNRESOLVED);
    }

    /**
     * As above, with where each gate or ipip server's packets go ({@code egress} answers {@link Egress#UNRESOLVED}
     * for one not resolved): the DR workers send frames as their table says.
     */
    public static ServiceTable build(VirtualService service, SchedulerKind scheduler,
                                     Map<RealServerKey, Integer> effectiveWeights, Set<RealServerKey> removed,
                                     Function<RealServerKey, Egress> egress) {
        return build(service, scheduler, effectiveWeights, removed, egress, Set.of(), null);
    }

    /**
     * As above, with the servers a health check holds down at weight 0 ({@code down}: persistence leaves them),
     * and what the service's previous table carries on ({@code previous}, null for the first): a persistent
     * service's templates, so that clients keep their servers across rebuilds and reloads, and each server's
     * last weight above 0 (IPVS's last_weight, which mh's table is built from).
     */
    public static ServiceTable build(VirtualService service, SchedulerKind scheduler,
                                     Map<RealServerKey, Integer> effectiveWeights, Set<RealServerKey> removed,
                                     Function<RealServerKey, Egress> egress, Set<RealServerKey> down,
                                     ServiceTable previous) {
        return build(service, scheduler, effectiveWeights, Map.of(), removed, egress, down, previous);
    }

    /**
     * As above, with connection thresholds that differ from the configured ones ({@code lbadm -e -x -y}; servers
     * not in {@code effectiveThresholds} keep their {@code real=} line's), and IPVS's default timeouts.
     */
    public static ServiceTable build(VirtualService service, SchedulerKind scheduler,
                                     Map<RealServerKey, Integer> effectiveWeights,
                                     Map<RealServerKey, ConnectionThresholds> effectiveThresholds,
                                     Set<RealServerKey> removed, Function<RealServerKey, Egress> egress,
                                     Set<RealServerKey> down, ServiceTable previous) {
        return build(service, scheduler, effectiveWeights, effectiveThresholds, removed, egress, down, previous,
                ConnectionTimeouts.DEFAULTS);
    }

    /**
     * As above, with the connection timeouts in force ({@code ipvsadm --set}): a udp service without idletimeout=
     * gets their udp timeout as its flows' idle timeout ({@link VirtualService#effectiveIdleTimeout}).
     */
    public static ServiceTable build(VirtualService service, SchedulerKind scheduler,
                                     Map<RealServerKey, Integer> effectiveWeights,
                                     Map<RealServerKey, ConnectionThresholds> effectiveThresholds,
                                     Set<RealServerKey> removed, Function<RealServerKey, Egress> egress,
                                     Set<RealServerKey> down, ServiceTable previous, ConnectionTimeouts timeouts) {
        Map<RealServerKey, Integer> lastWeights = new HashMap<>();
        if (previous != null) {
            previous.destinations().forEach(d -> lastWeights.put(d.key(), d.lastWeight()));
        }
        List<Destination> destinations = new ArrayList<>(service.realServers().size());
        for (RealServer server : service.ipvsOrder()) {
            if (!removed.contains(server.key())) {
                destinations.add(destination(service, destinations.size(), server, effectiveWeights, egress, down,
                        lastWeights).withThresholds(effectiveThresholds.getOrDefault(server.key(),
                        server.thresholds())));
            }
        }
        Optional<Destination> fallback = service.fallback()
                .map(f -> destination(service, Destination.FALLBACK_INDEX, f, effectiveWeights, egress, down,
                        lastWeights));
        PersistenceTemplates templates = previous == null ? null
                : previous.persistence().map(Persistence::templates).orElse(null);
        return new ServiceTable(service.key(), scheduler, destinations, fallback, service.maxConnections(),
                service.healthCheck().connectTimeout(),
                service.effectiveIdleTimeout(Duration.ofSeconds(timeouts.udpSeconds())),
                persistence(service, templates),
                service.schedulerFlags(), service.mhTableSize(), service.alsoListen(), service.nat());
    }

    /** persistent= and netmask= (IPv4 dotted quad or IPv6 prefix; default the whole address), or empty. */
    static Optional<Persistence> persistence(VirtualService service, PersistenceTemplates templates) {
        if (service.persistence().isEmpty()) {
            return Optional.empty();
        }
        boolean ipv6 = service.address().address() instanceof Inet6Address;
        int prefix = service.netmask().map(m -> ipv6 ? Integer.parseInt(m) : prefixOf(m)).orElse(ipv6 ? 128 : 32);
        return Optional.of(new Persistence(service.persistence().getAsInt() * 1000L, prefix,
                templates != null ? templates : new PersistenceTemplates()));
    }

    /** The prefix length of a contiguous dotted-quad netmask (lb-config accepts no other). */
    private static int prefixOf(String dottedQuad) {
        long bits = 0;
        for (String part : dottedQuad.split("\\.")) {
            bits = (bits << 8) | Integer.parseInt(part);
        }
        return Long.bitCount(bits);
    }

    private static Destination destination(VirtualService service, int index, RealServer server,
                                           Map<RealServerKey, Integer> effectiveWeights,
                                           Function<RealServerKey, Egress> egress, Set<RealServerKey> down,
                                           Map<RealServerKey, Integer> lastWeights) {
        int weight = effectiveWeights.getOrDefault(server.key(), server.weight());
        if (weight < 0) {
            throw new IllegalArgumentException("virtual=" + service.address() + ": real server "
                    + server.address() + " has weight " + weight + "; a weight must be 0 or more");
        }
        Egress out = server.forwarding() == ForwardingMethod.MASQ ? Egress.UNRESOLVED : egress.apply(server.key());
        int last = weight > 0 ? weight : lastWeights.getOrDefault(server.key(), 0);
        return new Destination(index, server.key(), server.forwarding(), weight, out, down.contains(server.key()),
                last);
    }
}
