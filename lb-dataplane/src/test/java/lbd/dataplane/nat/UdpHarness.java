package lbd.dataplane.nat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.TransportKind;

/** A started {@link NatProxy} with a UDP VIP on a free loopback port, and UDP real servers that answer by name. */
final class UdpHarness implements AutoCloseable {

    final SnapshotPublisher publisher = new SnapshotPublisher();
    final VirtualServiceKey vip;
    final NatProxy proxy;
    private final DatagramSocket vipReservation;
    private final List<Server> servers = new ArrayList<>();
    private long version;

    UdpHarness(TransportKind transport, int eventLoops, InetAddress loopback) throws IOException {
        vipReservation = new DatagramSocket(new InetSocketAddress(loopback, 0));
        vip = new VirtualServiceKey(Protocol.UDP, new Endpoint(loopback, vipReservation.getLocalPort()));
        proxy = new NatProxy(new NatSettings(transport.request(), eventLoops, Duration.ZERO), publisher);
    }

    UdpHarness start() throws IOException {
        proxy.start();
        vipReservation.close();
        proxy.listen(vip);
        return this;
    }

    /** A real server that answers each datagram with its name, then ":", then the datagram (or {@code size} bytes). */
    Server server(String name, int replyBytes) throws IOException {
        Server s = new Server(name, replyBytes, vip.address().address());
        servers.add(s);
        return s;
    }

    ServiceTable table(SchedulerKind kind, int maxFlows, Duration timeout, Endpoint... endpoints) {
        List<Destination> destinations = new ArrayList<>();
        for (int i = 0; i < endpoints.length; i++) {
            destinations.add(new Destination(i, key(endpoints[i]), ForwardingMethod.MASQ, 1));
        }
        return new ServiceTable(vip, kind, destinations, Optional.empty(), maxFlows, Duration.ofSeconds(2), timeout);
    }

    void publish(ServiceTable table) {
        publisher.publish(new DataPlaneSnapshot(++version, Map.of(table.key(), table)));
    }

    RealServerKey key(Endpoint endpoint) {
        return new RealServerKey(vip, endpoint);
    }

    /** InActConn, ActiveConn and connections of a real server, summed over the loops. */
    long[] counts(Endpoint server) {
        long[] sum = new long[3];
        proxy.workers().forEach(w -> w.forEachCounters((k, c) -> {
            if (k.equals(key(server))) {
                sum[0] += c.inactiveVolatile();
                sum[1] += c.activeVolatile();
                sum[2] += c.connectionsVolatile();
            }
        }));
        return sum;
    }

    LoopStats loops() {
        long[] s = new long[6];
        for (LoopStats l : proxy.loopStats()) {
            s[0] += l.accepted();
            s[1] += l.scheduled();
            s[2] += l.refused();
            s[3] += l.outOfResources();
            s[4] += l.ceilingReached();
            s[5] += l.datagramsDropped();
        }
        return new LoopStats(-1, s[0], s[1], s[2], s[3], s[4], s[5]);
    }

    /** A client socket (its own source port) with a 2 s receive timeout. */
    DatagramSocket client() throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(vip.address().address(), 0));
        socket.setSoTimeout(2_000);
        return socket;
    }

    /** Sends {@code text} to the VIP and returns the reply's packet, or null when none came within the timeout. */
    DatagramPacket ask(DatagramSocket client, String text) throws IOException {
        byte[] out = text.getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(out, out.length, vip.address().toSocketAddress()));
        DatagramPacket reply = new DatagramPacket(new byte[70_000], 70_000);
        try {
            client.receive(reply);
            return reply;
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    static String text(DatagramPacket p) {
        return new String(p.getData(), p.getOffset(), p.getLength(), StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        vipReservation.close();
        try {
            proxy.shutdown(Duration.ZERO);
        } finally {
            servers.forEach(Server::close);
        }
    }

    /** A UDP real server on its own thread: replies "NAME:" + the request, padded to {@code replyBytes} if larger. */
    static final class Server implements AutoCloseable {
        final String name;
        final DatagramSocket socket;
        private final Thread thread;

        Server(String name, int replyBytes, InetAddress loopback) throws IOException {
            this.name = name;
            socket = new DatagramSocket(new InetSocketAddress(loopback, 0));
            thread = Thread.ofVirtual().start(() -> {
                byte[] in = new byte[70_000];
                while (!socket.isClosed()) {
                    DatagramPacket p = new DatagramPacket(in, in.length);
                    try {
                        socket.receive(p);
                        byte[] head = (name + ":" + text(p)).getBytes(StandardCharsets.US_ASCII);
                        byte[] out = Arrays.copyOf(head, Math.max(head.length, replyBytes));
                        Arrays.fill(out, head.length, out.length, (byte) 'x');
                        socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
        }

        Endpoint endpoint() {
            return new Endpoint(socket.getLocalAddress(), socket.getLocalPort());
        }

        @Override
        public void close() {
            socket.close();
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
