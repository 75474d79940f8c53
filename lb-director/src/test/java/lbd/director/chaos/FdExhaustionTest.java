package lbd.director.chaos;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * lbd, as its own process under {@code ulimit -n 256}, gets far more clients than it has file descriptors for —
 * and survives it as HAProxy does. By default it stops accepting at its connection ceiling (derived from the
 * limit), so every client waits in the kernel's queue until there is room and is then served: none is taken in
 * only to be reset. With maxconn= set beyond what the descriptors allow it does run out, and then it pauses
 * accepting instead of spinning. Either way it says so in one line (not a line per failure, not a stack trace,
 * nothing reaching a Netty pipeline's tail), counts it, keeps serving the connections it has, and once they
 * close serves new clients again with the descriptors it held before.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FdExhaustionTest {

    private static final int FD_LIMIT = 256;
    /** Each proxied connection holds two descriptors in lbd: far more clients than the limit allows. */
    private static final int CLIENTS = 300;
    /** Proxied before the flood: 2 descriptors each, well inside the limit with lbd's own (about 100). */
    private static final int EARLY_CLIENTS = 50;

    @TempDir
    Path dir;

    private Process lbd;
    private ServerSocket backend;
    private final List<Socket> clients = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        if (lbd != null) {
            lbd.destroyForcibly();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void atItsConnectionCeilingClientsWaitInTheQueueAndEveryOneIsServed(TransportKind transport) throws Exception {
        assumeAvailable(transport);
        backend = lineEchoServer();
        int vipPort = freePort();
        int metricsPort = freePort();
        Path log = dir.resolve("lbd.log");
        lbd = startLbd(transport, "", vipPort, metricsPort, log);
        warmUp(vipPort, metricsPort);
        int fdsBefore = openFds(lbd.pid());

        // Every client connects (the kernel queues what lbd does not take) and sends a line.
        for (int i = 0; i < CLIENTS; i++) {
            connectAndSend(vipPort, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> log(log).contains("of the connection ceiling"));

        // At the ceiling, with clients still queued: lbd waits, it does not spin.
        assertIdleFor2Seconds();

        // A connection lbd has keeps working at the ceiling.
        Socket first = clients.getFirst();
        assertThat(echoes(first)).as("client 0's line came back").isTrue();
        first.getOutputStream().write("client 0 again\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(echoes(first)).as("client 0's second line came back at the ceiling").isTrue();

        // As each client leaves, the next one in the queue is taken and served: not one is lost or reset.
        first.close();
        for (int i = 1; i < CLIENTS; i++) {
            Socket client = clients.get(i);
            assertThat(echoes(client)).as("client %d was served once those before it left", i).isTrue();
            client.close();
        }
        clients.clear();
        for (int i = 0; i < 20; i++) {
            assertThat(answers(vipPort)).as("request %d after the flood", i).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(openFds(lbd.pid()))
                .as("lbd's descriptors once its connections closed").isLessThanOrEqualTo(fdsBefore));

        String output = log(log);
        assertThat(output).contains("open connections (what the open-files limit " + FD_LIMIT + " allows");
        assertThat(output.lines().filter(l -> l.contains("of the connection ceiling")).count())
                .as("log lines about the ceiling (one per 10 s at most)").isBetween(1L, 2L);
        assertThat(output).doesNotContain("EMFILE")
                .doesNotContain("reached at the tail of the pipeline")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(loopCounter(metricsPort, "lbd_loop_connection_ceiling_reached_total"))
                .as("lbd_loop_connection_ceiling_reached_total").isPositive();
        assertThat(loopCounter(metricsPort, "lbd_loop_out_of_resources_total"))
                .as("lbd_loop_out_of_resources_total").isZero();
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void withMaxconnBeyondItsDescriptorsItPausesAcceptingWithoutSpinningAndRecovers(TransportKind transport)
            throws Exception {
        assumeAvailable(transport);
        backend = lineEchoServer();
        int vipPort = freePort();
        int metricsPort = freePort();
        Path log = dir.resolve("lbd.log");
        lbd = startLbd(transport, "maxconn=1000\n", vipPort, metricsPort, log);
        warmUp(vipPort, metricsPort);
        int fdsBefore = openFds(lbd.pid());

        // Connections lbd has: proxied end to end (their line came back) before the pressure.
        for (int i = 0; i < EARLY_CLIENTS; i++) {
            Socket client = connectAndSend(vipPort, i);
            assertThat(echoes(client)).as("early client %d proxied before the flood", i).isTrue();
        }
        // The flood: every other client connects (the kernel queues what lbd cannot accept) and sends a line.
        // Some that lbd accepts in a burst find no descriptor left for their real server and are closed: with
        // maxconn beyond the limit that is what happens (the start-up log said so), so nothing is asserted of
        // them.
        for (int i = EARLY_CLIENTS; i < CLIENTS; i++) {
            connectAndSend(vipPort, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> log(log).contains("EMFILE"));

        // At the limit, with clients still queued: lbd waits, it does not spin.
        assertIdleFor2Seconds();

        // The connections lbd had keep working at the limit.
        for (int i = 0; i < EARLY_CLIENTS; i++) {
            Socket client = clients.get(i);
            client.getOutputStream().write(("client " + i + " again\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(echoes(client)).as("early client %d's line came back at the limit", i).isTrue();
        }

        // The pressure goes. The clients still queued (closed by now) are taken first, and some of them may
        // still find no descriptor while the others' close: lbd serves again once they are through, and then
        // every new client.
        for (Socket client : clients) {
            client.close();
        }
        clients.clear();
        await().atMost(Duration.ofSeconds(10)).until(() -> answers(vipPort));
        for (int i = 0; i < 20; i++) {
            assertThat(answers(vipPort)).as("request %d after the pressure", i).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(openFds(lbd.pid()))
                .as("lbd's descriptors once its connections closed").isLessThanOrEqualTo(fdsBefore));

        String output = log(log);
        assertThat(output).contains("maxconn=1000 is more than the open-files limit " + FD_LIMIT + " allows");
        long alarms = output.lines().filter(l -> l.contains("EMFILE")).count();
        assertThat(alarms).as("log lines about the limit (one per 10 s at most)").isBetween(1L, 2L);
        assertThat(output).contains("the open-files limit is " + FD_LIMIT)
                .doesNotContain("reached at the tail of the pipeline")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(loopCounter(metricsPort, "lbd_loop_out_of_resources_total"))
                .as("lbd_loop_out_of_resources_total").isPositive();
    }

    private static void assumeAvailable(TransportKind transport) {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
    }

    /** lbd answers, and what the JVM opens lazily is open before descriptors are counted. */
    /**
     * Until lbd has started whole — the VIP answers, and so does the metrics endpoint, which lbd opens after its
     * VIPs (its listening socket and selector are three descriptors of their own) — and has served a scrape (what a
     * first scrape sets up lazily is then in the count too): only then is its descriptor count a baseline.
     */
    private static void warmUp(int vipPort, int metricsPort) {
        await().atMost(Duration.ofSeconds(30)).until(() -> answers(vipPort));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> loopCounter(metricsPort, "lbd_loop_out_of_resources_total") >= 0);
        for (int i = 0; i < 20; i++) {
            assertThat(answers(vipPort)).isTrue();
        }
    }

    private void assertIdleFor2Seconds() throws IOException, InterruptedException {
        long cpuBefore = LbdProcess.cpuTicks(lbd.pid());
        Thread.sleep(2_000);
        long cpuTicks = LbdProcess.cpuTicks(lbd.pid()) - cpuBefore;
        assertThat(cpuTicks).as("CPU ticks (1/100 s) lbd used in 2 s with clients queued").isLessThan(60);
    }

    // ---- lbd ----

    private Process startLbd(TransportKind transport, String globals, int vipPort, int metricsPort, Path log)
            throws IOException {
        LbdProcess started = LbdProcess.start(dir, globals + """
                checktimeout=2
                checkinterval=1
                eventloops=1
                transport=%s
                metrics=127.0.0.1:%d
                virtual=127.0.0.1:%d
                \treal=127.0.0.1:%d masq
                \tscheduler=rr
                \tprotocol=tcp
                \tchecktype=on
                """.formatted(transport.configName(), metricsPort, vipPort, backend.getLocalPort()),
                FD_LIMIT, "-XX:TieredStopAtLevel=1");
        assertThat(started.log).isEqualTo(log);
        return started.process;
    }

    private static long loopCounter(int metricsPort, String name) throws IOException, InterruptedException {
        return LbdProcess.loopCounter(metricsPort, name);
    }

    private static boolean answers(int vipPort) {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), vipPort), 1_000);
            client.setSoTimeout(5_000);
            client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.US_ASCII));
            return "ping".equals(in.readLine());
        } catch (IOException e) {
            return false;
        }
    }

    /** A client connected to the VIP that has sent its line, "client I" (closed after the test if not before). */
    private Socket connectAndSend(int vipPort, int i) throws IOException {
        Socket client = new Socket();
        clients.add(client);
        client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), vipPort), 2_000);
        client.setSoTimeout(5_000);
        client.getOutputStream().write(("client " + i + "\n").getBytes(StandardCharsets.US_ASCII));
        return client;
    }

    /** Whether the client's next line came back within its read timeout. */
    private static boolean echoes(Socket client) {
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.US_ASCII));
            String line = in.readLine();
            return line != null && line.startsWith("client ");
        } catch (SocketTimeoutException | SocketException queuedOrReset) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- the real server: echoes each line, one virtual thread per connection ----

    private static ServerSocket lineEchoServer() throws IOException {
        ServerSocket server = new ServerSocket(0, 1_000, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> echoLines(s));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return server;
    }

    private static void echoLines(Socket s) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            for (String line; (line = in.readLine()) != null; ) {
                out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException gone) {
            // the client or lbd closed it
        }
    }

    // ---- /proc ----

    private static int openFds(long pid) throws IOException {
        return LbdProcess.openFds(pid);
    }

    private static String log(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
