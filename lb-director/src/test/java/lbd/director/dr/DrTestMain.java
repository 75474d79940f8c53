package lbd.director.dr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrDataPlane;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.DrOptions;
import lbd.dataplane.dr.DrStartupException;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.Egress;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;

/**
 * The director of the end-to-end test, run in the director's namespace by a child JVM:
 * {@code DrTestMain IFACE VIP PORT[,PORT...] WORKERS RIP...} (IFACE: the interfaces to receive on, by commas, or
 * {@code all}) builds an rr table per port by hand (RIPs in list
 * order; a port written {@code 8000p} is persistent, 300 s per client address), probes the host, starts {@link DrDataPlane}, resolves the MACs and publishes them as the director's
 * control plane does, prints READY, then answers "stats", "connections" (the flows as lbadm -Lnc lists them, on
 * one line, rows separated by '|') and "quit" on stdin.
 */
public final class DrTestMain {

    private DrTestMain() {
    }

    public static void main(String[] args) throws Exception {
        String iface = args[0];
        int workers = Integer.parseInt(args[3]);
        Map<VirtualServiceKey, ServiceTable> tables = new HashMap<>();
        for (String token : args[2].split(",")) {
            boolean persistent = token.endsWith("p");
            String port = persistent ? token.substring(0, token.length() - 1) : token;
            VirtualServiceKey key = new VirtualServiceKey(Protocol.TCP, Endpoint.of(args[1], Integer.parseInt(port)));
            List<Destination> destinations = new ArrayList<>();
            for (int i = 4; i < args.length; i++) {
                Endpoint rip = Endpoint.of(args[i], key.address().port());
                destinations.add(new Destination(i - 4, new RealServerKey(key, rip), ForwardingMethod.GATE, 1));
            }
            tables.put(key, new ServiceTable(key, SchedulerKind.RR, destinations, Optional.empty(), 0,
                    Duration.ofSeconds(5), Duration.ofSeconds(900), persistent
                            ? Optional.of(new Persistence(300_000, 32, new PersistenceTemplates()))
                            : Optional.empty()));
        }
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, tables));

        DrDataPlane plane;
        List<DrInterface> ingress;
        try {
            ingress = DrHost.probe(iface.equals("all") ? List.of() : List.of(iface.split(",")), tables.keySet());
            plane = DrDataPlane.start(ingress, DrOptions.defaults().withWorkers(workers), publisher, tables.keySet());
        } catch (DrStartupException e) {
            System.out.println("REFUSED: " + e.getMessage().replace("\n", " | "));
            System.exit(2);
            return;
        }
        // What the director's control plane does: resolve the MACs, publish them in the tables with the
        // directory, then let the plane follow (filter, gratuitous ARP).
        List<RealServer> servers = new ArrayList<>();
        tables.values().forEach(t -> t.destinations().forEach(d -> servers.add(new RealServer(d.key(), d.forwarding(),
                d.weight(), Optional.empty(), Optional.empty(), 0))));
        EgressResolver neighbours = new EgressResolver(ingress);
        EgressResolver.Resolution resolution = neighbours.resolve(servers,
                DrOptions.defaults().resolveTimeout().toMillis());
        Map<VirtualServiceKey, ServiceTable> resolved = new HashMap<>();
        tables.forEach((key, t) -> resolved.put(key, new ServiceTable(key, t.scheduler(), t.destinations().stream()
                .map(d -> new Destination(d.index(), d.key(), d.forwarding(), d.weight(),
                        resolution.egress().getOrDefault(d.key(), Egress.UNRESOLVED), false, d.weight())).toList(),
                t.fallback(), t.maxConnections(), t.connectTimeout(), t.idleTimeout(), t.persistence())));
        DrDirectory directory = DrDirectory.of(tables.keySet(), Set.of());
        publisher.publish(new DataPlaneSnapshot(2, resolved, DataPlaneSnapshot.NO_PREVIOUS, Set.of(), directory));
        plane.follow(directory);
        for (int vip : directory.vipArray()) {
            neighbours.announce(vip);
        }
        System.out.println("READY unresolved=" + resolution.unresolved().size() + " ring="
                + plane.receivesThroughRings());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.equals("stats")) {
                StringBuilder b = new StringBuilder("STATS");
                plane.stats().forEach((k, v) -> {
                    if (v != 0) {
                        b.append(' ').append(k).append('=').append(v);
                    }
                });
                plane.workerStates().forEach(w -> w.forEachCounters((rs, c) -> b.append(" [").append(rs.address())
                        .append(" conns=").append(c.connectionsVolatile())
                        .append(" active=").append(c.activeVolatile())
                        .append(" inact=").append(c.inactiveVolatile()).append(']')));
                System.out.println(b);
            } else if (line.equals("connections")) {
                String table = lbd.director.listing.ConnectionListing.format(
                        lbd.director.listing.ConnectionListing.merge(plane.connections(1000,
                                java.time.Duration.ofSeconds(5)), 1000), false,
                        lbd.director.listing.AddressNames.NUMERIC);
                System.out.println("CONNECTIONS " + table.replace("\n", "|"));
            }
        }
        plane.close();
        neighbours.close();
        System.out.println("STOPPED");
    }
}
