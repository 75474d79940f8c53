package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import lbd.config.model.Endpoint;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.sched.Schedulers;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The NAT proxy with real sockets on 127.0.0.1, once per transport. A transport this machine lacks is
 * skipped with its unavailability cause.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatProxyTest {

    private NatHarness harness;

    private NatHarness harness(TransportKind transport, int eventLoops) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
        harness = new NatHarness(transport, eventLoops);
        return harness;
    }

    @AfterEach
    void tearDown() throws IOException {
        if (harness != null) {
            harness.close();
        }
    }

    // ---- distribution ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void roundRobinAlternatesThroughTheProxy(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint a = h.server(LoopbackServer.replyName("A")).endpoint();
        Endpoint b = h.server(LoopbackServer.replyName("B")).endpoint();
        h.publish(h.table(SchedulerKind.RR, a, b));
        h.start();

        assertThat(replies(h, 4)).containsExactly("A", "B", "A", "B");
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void weightedRoundRobinSpreadsNineConnectionsFourThreeTwo(TransportKind transport) throws IOException {
        assumeTrue(schedulerExists(SchedulerKind.WRR), "wrr is not in Schedulers.create yet");
        NatHarness h = harness(transport, 1);
        Endpoint a = h.server(LoopbackServer.replyName("A")).endpoint();
        Endpoint b = h.server(LoopbackServer.replyName("B")).endpoint();
        Endpoint c = h.server(LoopbackServer.replyName("C")).endpoint();
        h.publish(h.table(SchedulerKind.WRR, Optional.empty(), 0, Duration.ofSeconds(30), List.of(a, b, c),
                4, 3, 2));
        h.start();

        assertThat(replies(h, 9)).containsExactly("A", "A", "B", "A", "B", "C", "A", "B", "C");
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void leastConnectionFollowsTheConnectionsTheProxyHoldsOpen(TransportKind transport) throws IOException {
        assumeTrue(schedulerExists(SchedulerKind.LC), "lc is not in Schedulers.create yet");
        NatHarness h = harness(transport, 1);
        Endpoint a = h.server(nameThenEcho("A")).endpoint();
        Endpoint b = h.server(nameThenEcho("B")).endpoint();
        h.publish(h.table(SchedulerKind.LC, a, b));
        h.start();

        List<Socket> held = new ArrayList<>();
        try {
            // Each held connection counts as active on its server, so lc alternates while they stay open.
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Socket client = h.connect();
                held.add(client);
                names.add(String.valueOf((char) client.getInputStream().read()));
            }
            assertThat(names).containsExactly("A", "B", "A", "B");
            assertThat(h.totals(a).active()).isEqualTo(2);
            assertThat(h.totals(b).active()).isEqualTo(2);

            held.get(1).close(); // one of B's
            held.get(3).close(); // the other
            await().atMost(Duration.ofSeconds(5)).until(() -> h.totals(b).active() + h.totals(b).inactive() == 0);
            try (Socket next = h.connect()) {
                assertThat(next.getInputStream().read()).isEqualTo('B');
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /** Writes its one-letter name, then echoes. */
    private static LoopbackServer.Behaviour nameThenEcho(String name) {
        return socket -> {
            socket.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
            LoopbackServer.echo().serve(socket);
        };
    }

    private static boolean schedulerExists(SchedulerKind kind) {
        try {
            Schedulers.create(kind);
            return true;
        } catch (IllegalArgumentException notYet) {
            return false;
        }
    }

    private static List<String> replies(NatHarness h, int connections) throws IOException {
        List<String> replies = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            try (Socket client = h.connect()) {
                replies.add(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
        }
        return replies;
    }

    // ---- TCP semantics ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void halfCloseFromTheClientStillDeliversTheServersReply(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        // Replies only after the client's FIN: it must see that FIN through the proxy, and its reply must get back.
        Endpoint server = h.server(socket -> {
            byte[] request = socket.getInputStream().readAllBytes();
            socket.getOutputStream().write(("got:" + new String(request, StandardCharsets.US_ASCII))
                    .getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
        }).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();

        try (Socket client = h.connect()) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("got:hello");
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void afterTheServersFinTheClientsUploadStillArrivesWholeAndEndsWithAFinNotAReset(TransportKind transport)
            throws Exception {
        // The server's FIN comes first (as a web server's after "Connection: close"); once the proxy has passed it
        // on, the client's own FIN ends the connection (the proxy closes that side at once instead of half-closing
        // it): what the client still sent in between must reach the server whole, followed by a FIN, not a reset.
        NatHarness h = harness(transport, 1);
        int uploadBytes = 1 << 20;
        java.util.concurrent.CompletableFuture<Object> serverGot = new java.util.concurrent.CompletableFuture<>();
        Endpoint server = h.server(socket -> {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            in.read();
            socket.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            try {
                serverGot.complete(BytePattern.readChecked(in)); // to EOF; a reset or a bad byte throws
            } catch (IOException | AssertionError e) {
                serverGot.complete(e);
            }
        }).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();

        try (Socket client = h.connect()) {
            client.getOutputStream().write('x');
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .as("the server's reply and FIN").isEqualTo("bye");
            byte[] upload = new byte[uploadBytes];
            BytePattern.fill(upload, 0);
            client.getOutputStream().write(upload);
        } // close(): the client's FIN right behind its upload

        assertThat(serverGot.get(10, TimeUnit.SECONDS)).as("what the server read after its FIN, up to EOF")
                .isEqualTo((long) uploadBytes);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.proxy.openConnections() == 0);
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aResetFromTheServerReachesTheClientAsAReset(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint server = h.server(socket -> {
            socket.getInputStream().read();
            socket.setSoLinger(true, 0);
            socket.close();
        }).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();

        try (Socket client = h.connect()) {
            client.getOutputStream().write('x');
            Throwable thrown = catchThrowable(() -> client.getInputStream().read());
            assertThat(thrown).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aResetFromTheClientReachesTheServerAsAReset(TransportKind transport) throws Exception {
        NatHarness h = harness(transport, 1);
        CountDownLatch gotByte = new CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Throwable> serverSaw = new java.util.concurrent.CompletableFuture<>();
        Endpoint server = h.server(socket -> {
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            in.read();
            gotByte.countDown();
            serverSaw.complete(catchThrowable(() -> in.read()));
        }).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();

        Socket client = h.connect();
        client.getOutputStream().write('x');
        assertThat(gotByte.await(5, TimeUnit.SECONDS)).isTrue();
        client.setSoLinger(true, 0);
        client.close();

        assertThat(serverSaw.get(5, TimeUnit.SECONDS))
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aSlowReaderHoldsTheServerBackAndThenGetsEveryByteIntact(TransportKind transport) throws Exception {
        NatHarness h = harness(transport, 1);
        int total = 64 << 20;
        AtomicLong written = new AtomicLong();
        Endpoint server = h.server(socket -> {
            socket.setSendBufferSize(1 << 20); // keep the server's own share of the bound small and fixed
            OutputStream out = socket.getOutputStream();
            byte[] chunk = new byte[64 * 1024];
            for (int offset = 0; offset < total; offset += chunk.length) {
                BytePattern.fill(chunk, offset);
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
            socket.shutdownOutput();
            LoopbackServer.drain(socket.getInputStream());
        }).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();

        try (Socket client = h.connect()) {
            Thread.sleep(1_000); // read nothing: the proxy must stop reading from the server
            long heldBack = written.get();
            assertThat(heldBack).as("bytes the server could write to a client that reads nothing")
                    .isLessThan(16L << 20);

            assertThat(BytePattern.readChecked(client.getInputStream())).isEqualTo(total);
        }
    }

    // ---- failing real servers ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aRefusingServerIsRetriedOnAnother(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint dead = LoopbackServer.refusingEndpoint();
        Endpoint live = h.server(LoopbackServer.replyName("B")).endpoint();
        h.publish(h.table(SchedulerKind.RR, dead, live));
        h.start();

        // rr picks the dead server first; the retry's pick moves rr on to the live one, so the next connection
        // starts at the dead one again: every connection is tried there once, then served by the live one.
        assertThat(replies(h, 4)).containsExactly("B", "B", "B", "B");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(h.totals(dead).inactive()).isZero();
            assertThat(h.totals(dead).active()).isZero();
            assertThat(h.totals(dead).connections()).isEqualTo(4);
            assertThat(h.totals(live).connections()).isEqualTo(4);
            assertThat(h.proxy.openConnections()).isZero();
        });
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aServerThatDoesNotAnswerTimesOutAndIsRetriedOnAnother(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        // A listener whose accept queue is full: Linux drops further SYNs, so connecting to it hangs.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                LoopbackServer.fillAcceptQueue(silent, fillers);
                Endpoint hanging = new Endpoint(silent.getInetAddress(), silent.getLocalPort());
                Endpoint live = h.server(LoopbackServer.replyName("B")).endpoint();
                h.connectTimeout = Duration.ofMillis(300);
                h.publish(h.table(SchedulerKind.RR, hanging, live));
                h.start();

                assertThat(replies(h, 1)).containsExactly("B");
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    assertThat(h.totals(hanging).connections()).isEqualTo(1);
                    assertThat(h.totals(hanging).inactive()).isZero();
                });
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    /**
     * The connect timeout shares the connection's one timer with the idle timeout: with no idle timeout at all,
     * and with one far longer, each attempt still times out — the retry gets a deadline of its own — and the
     * client is reset once every server has hung, with nothing left counted.
     */
    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void whenEveryServerHangsEachAttemptTimesOutAndTheClientIsReset(TransportKind transport) throws IOException {
        for (Duration idle : List.of(Duration.ZERO, Duration.ofSeconds(30))) {
            NatHarness h = harness(transport, 1);
            try (java.net.ServerSocket silent1 = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                    java.net.ServerSocket silent2 = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                List<Socket> fillers = new ArrayList<>();
                try {
                    LoopbackServer.fillAcceptQueue(silent1, fillers);
                    LoopbackServer.fillAcceptQueue(silent2, fillers);
                    Endpoint hanging1 = new Endpoint(silent1.getInetAddress(), silent1.getLocalPort());
                    Endpoint hanging2 = new Endpoint(silent2.getInetAddress(), silent2.getLocalPort());
                    h.connectTimeout = Duration.ofMillis(200);
                    h.publish(h.table(SchedulerKind.RR, Optional.empty(), 0, idle, List.of(hanging1, hanging2), 1, 1));
                    h.start();

                    assertClosedByProxy(h); // a hanging connect fails only by its timeout: two counted below
                    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                        assertThat(h.totals(hanging1).connections() + h.totals(hanging2).connections()).isEqualTo(2);
                        assertThat(h.totals(hanging1).inactive() + h.totals(hanging2).inactive()).isZero();
                        assertThat(h.totals(hanging1).active() + h.totals(hanging2).active()).isZero();
                        assertThat(h.proxy.openConnections()).isZero();
                    });
                } finally {
                    for (Socket filler : fillers) {
                        filler.close();
                    }
                    h.close();
                }
            }
        }
    }

    /** An idle timeout shorter than the connect timeout still closes a client whose server hangs, at its time. */
    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void anIdleTimeoutShorterThanTheConnectTimeoutClosesAConnectingClient(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                LoopbackServer.fillAcceptQueue(silent, fillers);
                Endpoint hanging = new Endpoint(silent.getInetAddress(), silent.getLocalPort());
                h.connectTimeout = Duration.ofSeconds(20);
                h.publish(h.table(SchedulerKind.RR, Optional.empty(), 0, Duration.ofMillis(300), List.of(hanging), 1));
                h.start();

                assertClosedByProxy(h); // within the 5 s read timeout: the idle timeout, not the connect timeout
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    assertThat(h.totals(hanging).inactive()).isZero();
                    assertThat(h.proxy.openConnections()).isZero();
                });
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void whenEveryServerRefusesTheFallbackServes(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint dead1 = LoopbackServer.refusingEndpoint();
        Endpoint dead2 = LoopbackServer.refusingEndpoint();
        Endpoint fallback = h.server(LoopbackServer.replyName("F")).endpoint();
        h.publish(h.table(SchedulerKind.RR, Optional.of(fallback), 0, Duration.ofSeconds(30),
                List.of(dead1, dead2), 1, 1));
        h.start();

        assertThat(replies(h, 2)).containsExactly("F", "F");
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void withNoFallbackTheClientIsClosedPromptly(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint dead1 = LoopbackServer.refusingEndpoint();
        Endpoint dead2 = LoopbackServer.refusingEndpoint();
        h.publish(h.table(SchedulerKind.RR, dead1, dead2));
        h.start();

        assertClosedByProxy(h);
        assertThat(h.proxy.openConnections()).isZero();
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void withNoServerOfPositiveWeightAndNoFallbackTheClientIsClosed(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint quiescent = h.server(LoopbackServer.replyName("Q")).endpoint();
        h.publish(h.table(SchedulerKind.RR, Optional.empty(), 0, Duration.ofSeconds(30), List.of(quiescent), 0));
        h.start();

        assertClosedByProxy(h);
    }

    /** The client sees EOF or a reset well within its 5 s read timeout, and nothing else. */
    static void assertClosedByProxy(NatHarness h) throws IOException {
        Socket connected;
        try {
            connected = h.connect();
        } catch (SocketException resetWhileConnecting) {
            return; // on loopback the proxy's reset can overtake connect() returning: closed all the same
        }
        try (Socket client = connected) {
            int first;
            try {
                first = client.getInputStream().read();
            } catch (SocketException reset) {
                first = -1;
            }
            assertThat(first).isEqualTo(-1);
        }
    }

    // ---- load ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aThousandConcurrentConnectionsEachEchoTheirOwnData(TransportKind transport) throws Exception {
        NatHarness h = harness(transport, 2);
        Endpoint a = h.server(LoopbackServer.echo()).endpoint();
        Endpoint b = h.server(LoopbackServer.echo()).endpoint();
        h.publish(h.table(SchedulerKind.RR, a, b));
        h.start();

        int clients = 1_000;
        CountDownLatch allEchoed = new CountDownLatch(clients);
        CountDownLatch release = new CountDownLatch(1);
        List<Future<byte[]>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                byte[] data = new byte[2048];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (c * 7 + i);
                }
                results.add(pool.submit(() -> {
                    try (Socket client = h.connect()) {
                        client.getOutputStream().write(data);
                        byte[] back = client.getInputStream().readNBytes(data.length);
                        allEchoed.countDown();
                        release.await(); // keep every connection open until all have echoed
                        return back;
                    }
                }));
            }
            try {
                assertThat(allEchoed.await(20, TimeUnit.SECONDS)).isTrue();
                assertThat(h.proxy.openConnections()).isEqualTo(clients);
            } finally {
                release.countDown();
            }
            for (int c = 0; c < clients; c++) {
                byte[] back = results.get(c).get();
                for (int i = 0; i < back.length; i++) {
                    assertThat(back[i]).isEqualTo((byte) (c * 7 + i));
                }
                assertThat(back).hasSize(2048);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openConnections() == 0);
        assertThat(h.totals(a).connections() + h.totals(b).connections()).isEqualTo(clients);
        assertThat(h.totals(a).bytesIn() + h.totals(b).bytesIn()).isEqualTo(clients * 2048L);
        assertThat(h.totals(a).bytesOut() + h.totals(b).bytesOut()).isEqualTo(clients * 2048L);
    }

    // ---- timeouts and caps ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void anIdleConnectionIsClosed(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint server = h.server(LoopbackServer.echo()).endpoint();
        h.publish(h.table(SchedulerKind.RR, Optional.empty(), 0, Duration.ofMillis(300), List.of(server), 1));
        h.start();

        try (Socket client = h.connect()) {
            client.getOutputStream().write('x');
            InputStream in = client.getInputStream();
            assertThat(in.read()).isEqualTo('x');
            assertThat(in.read()).as("the proxy closes the idle connection").isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(h.totals(server).active()).isZero();
            assertThat(h.totals(server).inactive()).isZero();
        });
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void theConnectionCapRefusesBeyondMaxconnsAndAdmitsAgainWhenOneCloses(TransportKind transport)
            throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint server = h.server(LoopbackServer.echo()).endpoint();
        h.publish(h.table(SchedulerKind.RR, Optional.empty(), 2, Duration.ofSeconds(30), List.of(server), 1));
        h.start();

        Socket first = h.connect();
        try (Socket second = h.connect()) {
            assertEchoes(first);
            assertEchoes(second);
            assertClosedByProxy(h);
            first.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> h.proxy.openConnections() == 1);
            try (Socket fourth = h.connect()) {
                assertEchoes(fourth);
            }
        } finally {
            first.close();
        }
        assertThat(h.totals(server).connections()).isEqualTo(3);
    }

    private static void assertEchoes(Socket client) throws IOException {
        client.getOutputStream().write('e');
        assertThat(client.getInputStream().read()).isEqualTo('e');
    }

    // ---- counters ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void countersFollowTheConnection(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 1);
        Endpoint server = h.server(LoopbackServer.echo()).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();

        try (Socket client = h.connect()) {
            byte[] data = new byte[1000];
            client.getOutputStream().write(data);
            assertThat(client.getInputStream().readNBytes(1000)).hasSize(1000);
            NatHarness.Totals open = h.totals(server);
            assertThat(open.active()).isEqualTo(1);
            assertThat(open.inactive()).isZero();
            assertThat(open.connections()).isEqualTo(1);
            assertThat(open.bytesIn()).isEqualTo(1000);
            assertThat(open.bytesOut()).isEqualTo(1000);
            assertThat(open.packetsIn()).isPositive();
            assertThat(open.packetsOut()).isPositive();

            client.shutdownOutput(); // our FIN: the connection is closing (InActConn) until both sides are done
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            NatHarness.Totals closed = h.totals(server);
            assertThat(closed.active()).isZero();
            assertThat(closed.inactive()).isZero();
            assertThat(closed.connections()).isEqualTo(1);
        });
        assertThat(h.proxy.openConnections()).isZero();
    }

    // ---- lifecycle ----

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void stopListeningKeepsEstablishedConnectionsAndRefusesNewOnes(TransportKind transport) throws IOException {
        NatHarness h = harness(transport, 2);
        Endpoint server = h.server(LoopbackServer.echo()).endpoint();
        h.publish(h.table(SchedulerKind.RR, server));
        h.start();
        assertThat(h.proxy.transport()).isEqualTo(transport);
        assertThat(h.proxy.workers()).hasSize(2);

        try (Socket client = h.connect()) {
            assertEchoes(client);
            h.proxy.stopListening(h.vip);
            assertEchoes(client);
            assertThatThrownBy(h::connect).isInstanceOf(java.net.ConnectException.class);
        }
    }
}
