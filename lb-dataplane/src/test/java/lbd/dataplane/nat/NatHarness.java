package lbd.dataplane.nat;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.TransportKind;

/** A started {@link NatProxy} on a free 127.0.0.1 port, its real servers, and helpers to build its table. */
final class NatHarness implements AutoCloseable {


    final SnapshotPublisher publisher = new SnapshotPublisher();
    final VirtualServiceKey vip;
    final NatProxy proxy;
    // Holds the VIP's port from construction until the proxy binds it in start().
    private final Socket vipReservation;
    private final List<LoopbackServer> servers = new ArrayList<>();
    private long version;
    /** The connect timeout of the tables built from now on. */
    Duration connectTimeout = Duration.ofSeconds(2);

    NatHarness(TransportKind transport, int eventLoops) throws IOException {
        this(new NatSettings(transport.request(), eventLoops, Duration.ofMillis(500)));
    }

    NatHarness(NatSettings settings) throws IOException {
        vipReservation = LoopbackServer.reservePort();
        vip = new VirtualServiceKey(Protocol.TCP,
                new Endpoint(vipReservation.getLocalAddress(), vipReservation.getLocalPort()));
        proxy = new NatProxy(settings, publisher);
    }

    NatHarness start() throws IOException {
        proxy.start();
        vipReservation.close(); // until now no real server, refusing endpoint or source port could take the VIP's
        proxy.listen(vip);
        return this;
    }

    LoopbackServer server(LoopbackServer.Behaviour behaviour) throws IOException {
        return server(behaviour, 0);
    }

    /** A real server whose sockets have a fixed receive buffer (see {@link LoopbackServer}). */
    LoopbackServer server(LoopbackServer.Behaviour behaviour, int receiveBufferBytes) throws IOException {
        LoopbackServer server = new LoopbackServer(behaviour, receiveBufferBytes);
        servers.add(server);
        return server;
    }

    RealServerKey key(Endpoint endpoint) {
        return new RealServerKey(vip, endpoint);
    }

    /** A table of the servers in list order, each with weight 1. */
    ServiceTable table(SchedulerKind kind, Endpoint... servers) {
        int[] weights = new int[servers.length];
        java.util.Arrays.fill(weights, 1);
        return table(kind, Optional.empty(), 0, Duration.ofSeconds(30), List.of(servers), weights);
    }

    ServiceTable table(SchedulerKind kind, Optional<Endpoint> fallback, int maxConnections, Duration idleTimeout,
            List<Endpoint> servers, int... weights) {
        List<Destination> destinations = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            destinations.add(new Destination(i, key(servers.get(i)), ForwardingMethod.MASQ, weights[i]));
        }
        Optional<Destination> fallbackDestination =
                fallback.map(f -> new Destination(0, key(f), ForwardingMethod.MASQ, 1));
        return new ServiceTable(vip, kind, destinations, fallbackDestination, maxConnections, connectTimeout,
                idleTimeout);
    }

    void publish(ServiceTable table) {
        publisher.publish(new DataPlaneSnapshot(++version, Map.of(table.key(), table)));
    }

    /** A client connected to the VIP; reads time out after 5 s so that a hang fails the test. */
    Socket connect() throws IOException {
        Socket socket = new Socket(vip.address().address(), vip.address().port());
        socket.setSoTimeout(5_000);
        return socket;
    }

    /** A real server's counters summed over every event loop. */
    Totals totals(Endpoint server) {
        RealServerKey key = key(server);
        long[] sum = new long[7];
        proxy.workers().forEach(w -> w.forEachCounters((k, c) -> {
            if (k.equals(key)) {
                add(sum, c);
            }
        }));
        return new Totals((int) sum[0], (int) sum[1], sum[2], sum[3], sum[4], sum[5], sum[6]);
    }

    private static void add(long[] sum, DestinationCounters c) {
        sum[0] += c.activeVolatile();
        sum[1] += c.inactiveVolatile();
        sum[2] += c.connectionsVolatile();
        sum[3] += c.bytesInVolatile();
        sum[4] += c.bytesOutVolatile();
        sum[5] += c.packetsInVolatile();
        sum[6] += c.packetsOutVolatile();
    }

    record Totals(int active, int inactive, long connections, long bytesIn, long bytesOut, long packetsIn,
            long packetsOut) {
    }

    @Override
    public void close() throws IOException {
        vipReservation.close(); // (a harness that was never started)
        try {
            proxy.shutdown(Duration.ZERO);
        } finally {
            for (LoopbackServer server : servers) {
                server.close();
            }
        }
    }
}
