package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.Optional;
import lbd.config.model.Endpoint;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.config.model.ForwardingMethod;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The NAT proxy's UDP flows with real sockets on loopback, per transport where it matters: each client
 * address:port is one flow to one real server, replies come from the VIP, a reply is never truncated, flows count
 * as IPVS counts UDP connections and expire, an unreachable port ends its flow, and a flood of source ports stays
 * within the flow cap.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatUdpTest {

    private static final Duration LONG = Duration.ofSeconds(300);
    private UdpHarness harness;

    private UdpHarness harness(TransportKind transport, String loopback) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
        harness = new UdpHarness(transport, 1, InetAddress.getByName(loopback));
        return harness;
    }

    @AfterEach
    void tearDown() {
        if (harness != null) {
            harness.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void roundRobinGivesEachNewClientPortTheNextServerAndRepliesComeFromTheVip(TransportKind transport)
            throws IOException {
        for (String loopback : List.of("127.0.0.1", "::1")) {
            UdpHarness h = harness(transport, loopback);
            Endpoint a = h.server("A", 0).endpoint();
            Endpoint b = h.server("B", 0).endpoint();
            h.publish(h.table(SchedulerKind.RR, 0, LONG, a, b));
            h.start();

            List<String> answered = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                try (DatagramSocket client = h.client()) {
                    DatagramPacket reply = h.ask(client, "q" + i);
                    assertThat(reply).as("reply to client %d over %s", i, loopback).isNotNull();
                    assertThat(reply.getSocketAddress()).isEqualTo(h.vip.address().toSocketAddress());
                    answered.add(UdpHarness.text(reply));
                }
            }
            assertThat(answered).containsExactly("A:q0", "B:q1", "A:q2", "B:q3");
            // A UDP flow is never "established": InActConn, as ipvsadm shows for UDP services.
            assertThat(h.counts(a)).containsExactly(2, 0, 2);
            assertThat(h.counts(b)).containsExactly(2, 0, 2);
            h.close();
            harness = null;
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void withTwoEventLoopsEveryClientIsServedAndEachFlowCountedOnce(TransportKind transport) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport), () -> transport + " is not available here");
        harness = new UdpHarness(transport, 2, InetAddress.getByName("127.0.0.1"));
        UdpHarness h = harness;
        Endpoint a = h.server("A", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, LONG, a));
        h.start();
        List<DatagramSocket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                DatagramSocket client = h.client();
                clients.add(client);
                assertThat(UdpHarness.text(h.ask(client, "q" + i))).isEqualTo("A:q" + i);
                assertThat(UdpHarness.text(h.ask(client, "again"))).isEqualTo("A:again"); // same loop, same flow
            }
        } finally {
            clients.forEach(DatagramSocket::close);
        }
        assertThat(h.counts(a)).containsExactly(8, 0, 8);
    }

    @Test
    void aClientPortKeepsItsServerForItsWholeFlow() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        Endpoint b = h.server("B", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, LONG, a, b));
        h.start();
        try (DatagramSocket client = h.client()) {
            for (int i = 0; i < 3; i++) {
                assertThat(UdpHarness.text(h.ask(client, "q" + i))).isEqualTo("A:q" + i);
            }
        }
        assertThat(h.counts(a)).containsExactly(1, 0, 1);
        assertThat(h.counts(b)).containsExactly(0, 0, 0);
    }

    @Test
    void sourceHashingSendsEveryPortOfOneClientAddressToOneServer() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        Endpoint b = h.server("B", 0).endpoint();
        h.publish(h.table(SchedulerKind.SH, 0, LONG, a, b));
        h.start();
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (DatagramSocket client = h.client()) {
                servers.add(UdpHarness.text(h.ask(client, "q")));
            }
        }
        assertThat(servers).hasSize(4).containsOnly(servers.getFirst());
    }

    @Test
    void aPersistentServiceKeepsAClientNetworkOnOneServerAcrossItsFlows() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        Endpoint b = h.server("B", 0).endpoint();
        ServiceTable rr = h.table(SchedulerKind.RR, 0, LONG, a, b);
        h.publish(new ServiceTable(rr.key(), rr.scheduler(), rr.destinations(), rr.fallback(), 0,
                rr.connectTimeout(), rr.idleTimeout(),
                Optional.of(new Persistence(300_000, 32, new PersistenceTemplates()))));
        h.start();
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (DatagramSocket client = h.client()) { // a new flow each time, same client address
                servers.add(UdpHarness.text(h.ask(client, "q")));
            }
        }
        assertThat(servers).containsOnly("A:q"); // rr alone would alternate
    }

    @Test
    void withNoServerUpTheFallbackServesAndAFlowOfAServerTakenOutEndsAtItsNextDatagram() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        Endpoint b = h.server("B", 0).endpoint();
        Endpoint sorry = h.server("SORRY", 0).endpoint();
        ServiceTable both = h.table(SchedulerKind.RR, 0, LONG, a, b);
        h.publish(both);
        h.start();
        try (DatagramSocket client = h.client()) {
            assertThat(UdpHarness.text(h.ask(client, "q1"))).isEqualTo("A:q1");
            // A's health check fails (quiescent: weight 0, held down): the flow ends, its next datagram goes to B.
            h.publish(new ServiceTable(both.key(), both.scheduler(), List.of(
                    new Destination(0, h.key(a), ForwardingMethod.MASQ, 0, Destination.NO_MAC, true),
                    new Destination(1, h.key(b), ForwardingMethod.MASQ, 1)), Optional.empty(), 0,
                    both.connectTimeout(), LONG));
            assertThat(UdpHarness.text(h.ask(client, "q2"))).isEqualTo("B:q2");
            assertThat(h.counts(a)[0]).isZero();
            // Every server down: the fallback takes new flows (and this one, whose server left).
            h.publish(new ServiceTable(both.key(), both.scheduler(), List.of(),
                    Optional.of(new Destination(0, h.key(sorry), ForwardingMethod.MASQ, 1)), 0,
                    both.connectTimeout(), LONG));
            assertThat(UdpHarness.text(h.ask(client, "q3"))).isEqualTo("SORRY:q3");
        }
        try (DatagramSocket other = h.client()) {
            assertThat(UdpHarness.text(h.ask(other, "q4"))).isEqualTo("SORRY:q4");
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aReplyLargerThanAnEthernetFrameIsForwardedWhole(TransportKind transport) throws IOException {
        UdpHarness h = harness(transport, "127.0.0.1");
        Endpoint big = h.server("BIG", 60_000).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, LONG, big));
        h.start();
        try (DatagramSocket client = h.client()) {
            DatagramPacket reply = h.ask(client, "q".repeat(3_000)); // a request past 1,500 bytes too
            assertThat(reply).isNotNull();
            assertThat(reply.getLength()).isEqualTo(60_000);
            assertThat(UdpHarness.text(reply)).startsWith("BIG:" + "q".repeat(3_000) + "xxx");
        }
    }

    @Test
    void aStopWaitsForAFlowOnlyWhileItsClientAwaitsAReply() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Endpoint mute = Endpoint.of("127.0.0.1", silent.getLocalPort()); // reads nothing, answers nothing
            h.publish(h.table(SchedulerKind.RR, 0, LONG, a, mute));
            h.start();
            try (DatagramSocket answered = h.client(); DatagramSocket waiting = h.client()) {
                assertThat(UdpHarness.text(h.ask(answered, "q"))).isEqualTo("A:q"); // flow 1: answered
                assertThat(h.ask(waiting, "q")).isNull(); // flow 2: to the mute server, its reply awaited
                long started = System.nanoTime();
                h.proxy.shutdown(Duration.ofMillis(1_500));
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                // The awaited reply holds the stop for the whole drain; the answered flow alone would not.
                assertThat(tookMillis).isGreaterThanOrEqualTo(1_400);
            }
        }
    }

    @Test
    void aStopDoesNotWaitForFlowsThatHaveTheirReplies() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, LONG, a));
        h.start();
        try (DatagramSocket client = h.client()) {
            assertThat(UdpHarness.text(h.ask(client, "q"))).isEqualTo("A:q");
            assertThat(h.counts(a)[0]).isEqualTo(1); // the flow is open (InActConn), for the udp timeout
            long started = System.nanoTime();
            h.proxy.shutdown(Duration.ofSeconds(30));
            // Not the 30 s drain: nothing of the flow is in flight (a bound far from any machine's speed).
            assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(15_000);
        }
    }

    @Test
    void aQuietFlowExpiresAfterTheServiceTimeoutAndItsClientIsScheduledAfresh() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        Endpoint b = h.server("B", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, Duration.ofMillis(300), a, b));
        h.start();
        try (DatagramSocket client = h.client()) {
            assertThat(UdpHarness.text(h.ask(client, "q"))).isEqualTo("A:q");
            await().atMost(Duration.ofSeconds(10)).until(() -> h.counts(a)[0] == 0);
            assertThat(UdpHarness.text(h.ask(client, "q"))).isEqualTo("B:q"); // a new flow: rr's next server
        }
    }

    @Test
    void aFlowTakesANewTimeoutAtItsClientsNextDatagramAsAnIpvsEntryDoes() throws IOException {
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        Endpoint b = h.server("B", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, LONG, a, b));
        h.start();
        try (DatagramSocket client = h.client(); DatagramSocket idle = h.client()) {
            assertThat(UdpHarness.text(h.ask(client, "q1"))).isEqualTo("A:q1");
            assertThat(UdpHarness.text(h.ask(idle, "q1"))).isEqualTo("B:q1");
            // Listed as IPVS lists UDP connections (lbadm -Lc): state UDP, expiring in the timeout.
            assertThat(listed(h)).extracting(ConnectionEntry::client, ConnectionEntry::state).containsExactlyInAnyOrder(
                    tuple(new Endpoint(client.getLocalAddress(), client.getLocalPort()), "UDP"),
                    tuple(new Endpoint(idle.getLocalAddress(), idle.getLocalPort()), "UDP"));
            assertThat(listed(h)).allSatisfy(e -> assertThat(e.expiresMillis()).isBetween(290_000L, 300_000L));
            // The udp timeout in force becomes 300 ms (lbadm --set): a new table for the service, same servers.
            h.publish(h.table(SchedulerKind.RR, 0, Duration.ofMillis(300), a, b));
            assertThat(UdpHarness.text(h.ask(client, "q2"))).isEqualTo("A:q2"); // same flow, now timed by 300 ms
            await().atMost(Duration.ofSeconds(10)).until(() -> h.counts(a)[0] == 0);
            // The flow that sent nothing since keeps the timer it had (300 s), as an idle IPVS entry does.
            assertThat(h.counts(b)[0]).isEqualTo(1);
            assertThat(listed(h)).extracting(ConnectionEntry::client)
                    .containsExactly(new Endpoint(idle.getLocalAddress(), idle.getLocalPort()));
        }
    }

    private static List<ConnectionEntry> listed(UdpHarness h) {
        List<ConnectionEntry> all = new ArrayList<>();
        h.proxy.connections(100, Duration.ofSeconds(5)).forEach(c -> all.addAll(c.listed()));
        return all;
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void anUnreachablePortEndsTheFlowAndTheClientsNextDatagramGoesElsewhere(TransportKind transport)
            throws IOException {
        UdpHarness h = harness(transport, "127.0.0.1");
        Endpoint closed;
        try (DatagramSocket gone = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            closed = new Endpoint(gone.getLocalAddress(), gone.getLocalPort());
        }
        Endpoint live = h.server("LIVE", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, 0, LONG, closed, live));
        h.start();
        try (DatagramSocket client = h.client()) {
            client.setSoTimeout(300);
            // The first datagram goes to the closed port; the ICMP error ends that flow, and a retry reaches LIVE.
            String answer = null;
            for (int attempt = 0; attempt < 20 && answer == null; attempt++) {
                DatagramPacket reply = h.ask(client, "q");
                answer = reply == null ? null : UdpHarness.text(reply);
            }
            assertThat(answer).isEqualTo("LIVE:q");
        }
        assertThat(h.counts(closed)[0]).isZero(); // the refused flow is gone
        assertThat(h.counts(closed)[2]).isPositive();
    }

    @Test
    void aFloodOfNewSourcePortsStaysWithinTheFlowCap() throws Exception {
        int cap = 500;
        UdpHarness h = harness(TransportKind.NIO, "127.0.0.1");
        Endpoint a = h.server("A", 0).endpoint();
        h.publish(h.table(SchedulerKind.RR, cap, LONG, a));
        h.start();
        DatagramSocket early = h.client(); // a flow opened before the flood keeps working through it
        assertThat(UdpHarness.text(h.ask(early, "before"))).isEqualTo("A:before");
        long fdsBefore = openDescriptors();

        int sent = 0;
        ByteBuffer q = ByteBuffer.wrap(new byte[] {'q'});
        InetSocketAddress to = h.vip.address().toSocketAddress();
        // 100,000 distinct client address:port pairs: every port from 1024 up, on 127.0.0.2 and 127.0.0.3.
        outer:
        for (String source : List.of("127.0.0.2", "127.0.0.3")) {
            InetAddress from = InetAddress.getByName(source);
            for (int port = 1024; port <= 65_535; port++) {
                try (DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    c.bind(new InetSocketAddress(from, port));
                    c.send(q.rewind(), to);
                    if (++sent == 100_000) {
                        break outer;
                    }
                } catch (IOException portInUse) {
                    // another program's port: skip it
                }
            }
        }
        assertThat(sent).isEqualTo(100_000);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            LoopStats s = h.loops();
            return s.scheduled() == cap && s.accepted() == s.scheduled() + s.refused();
        });
        LoopStats s = h.loops();
        assertThat(h.counts(a)[0]).isEqualTo(cap); // the early flow and cap - 1 of the flood
        assertThat(s.refused()).isPositive();
        assertThat(s.datagramsDropped()).isGreaterThanOrEqualTo(s.refused());
        assertThat(openDescriptors() - fdsBefore).isLessThanOrEqualTo(cap + 16);
        assertThat(UdpHarness.text(h.ask(early, "after"))).isEqualTo("A:after");
        early.close();
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
