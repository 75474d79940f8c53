package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lbd.config.model.Endpoint;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every failure path of a proxied connection closes what it opened: after many clients whose real servers
 * refuse, time out, or who leave while lbd is still connecting, the process holds exactly the file descriptors
 * it held before. (A refused connect on epoll and io_uring used to leak its socket: one fd per client, forever.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NatFailurePathFdTest {

    private static final int CLIENTS = 1_000;
    private static final int WARM_UP_CLIENTS = 50;
    /** Clients at a time where each waits for a timeout of lbd's (see {@link #concurrently}). */
    private static final int AT_A_TIME = 20;

    private NatHarness harness;

    private NatHarness harness(TransportKind transport) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
        harness = new NatHarness(transport, 1);
        return harness;
    }

    @AfterEach
    void tearDown() throws IOException {
        if (harness != null) {
            harness.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void aThousandRefusedConnectsLeaveNoFileDescriptorBehind(TransportKind transport) throws IOException {
        NatHarness h = harness(transport);
        Endpoint dead = LoopbackServer.refusingEndpoint();
        h.publish(h.table(SchedulerKind.RR, dead));
        h.start();

        assertNoFdLeft(h, () -> {
            for (int i = 0; i < CLIENTS; i++) {
                NatProxyTest.assertClosedByProxy(h);
            }
        });
        assertThat(h.totals(dead).connections()).isEqualTo(CLIENTS + WARM_UP_CLIENTS);
    }

    /** Both attempts of each client refused (the retry on the second server), then the fallback serves. */
    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void refusedRetriesBeforeTheFallbackLeaveNoFileDescriptorBehind(TransportKind transport) throws IOException {
        NatHarness h = harness(transport);
        Endpoint dead1 = LoopbackServer.refusingEndpoint();
        Endpoint dead2 = LoopbackServer.refusingEndpoint();
        Endpoint fallback = h.server(LoopbackServer.replyName("F")).endpoint();
        h.publish(h.table(SchedulerKind.RR, Optional.of(fallback), 0, Duration.ofSeconds(30),
                List.of(dead1, dead2), 1, 1));
        h.start();

        assertNoFdLeft(h, () -> {
            for (int i = 0; i < CLIENTS / 2; i++) {
                try (Socket client = h.connect()) {
                    assertThat(client.getInputStream().read()).isEqualTo('F');
                }
            }
        });
    }

    /** Clients that give up while lbd's connect to a hanging real server is pending, and attempts that time out. */
    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void clientsLeavingWhileConnectingAndTimedOutAttemptsLeaveNoFileDescriptorBehind(TransportKind transport)
            throws IOException {
        NatHarness h = harness(transport);
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                LoopbackServer.fillAcceptQueue(silent, fillers);
                Endpoint hanging = new Endpoint(silent.getInetAddress(), silent.getLocalPort());
                h.connectTimeout = Duration.ofMillis(50);
                h.publish(h.table(SchedulerKind.RR, hanging));
                h.start();

                assertNoFdLeft(h, () -> {
                    // The 50 ms connect timeout resets each of these.
                    concurrently(100, () -> NatProxyTest.assertClosedByProxy(h));
                    for (int i = 0; i < 100; i++) {
                        h.connect().close(); // gone before the connect timeout
                    }
                });
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    // ---- helpers ----

    private interface Clients {
        void run() throws IOException;
    }

    /**
     * Runs a few clients first (the transport creates some descriptors lazily, e.g. for its timers), counts the
     * process's descriptors, runs {@code clients}, waits until the proxy holds no connection, and then expects the
     * same count again: once every connection is gone nothing of it may be left.
     */
    private static void assertNoFdLeft(NatHarness h, Clients clients) throws IOException {
        concurrently(WARM_UP_CLIENTS, () -> {
            Socket connected;
            try {
                connected = h.connect();
            } catch (SocketException resetWhileConnecting) {
                return; // the proxy reset a refused client before connect() returned (see assertClosedByProxy)
            }
            try (Socket client = connected) {
                drainQuietly(client);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> h.proxy.openConnections() == 0);
        int before = openFds();

        clients.run();

        await().atMost(Duration.ofSeconds(20)).until(() -> h.proxy.openConnections() == 0);
        // A closed channel's socket is closed by the time the connection counts as gone; the listing is exact.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(openFds())
                .as("file descriptors of the test process after the clients").isLessThanOrEqualTo(before));
        assertThat(openFds()).as("file descriptors of the test process").isEqualTo(before);
    }

    /**
     * {@code n} clients, {@value #AT_A_TIME} at a time: where each waits for lbd's connect timeout, their waits
     * overlap instead of adding up. The first failure of one is the failure of all.
     */
    private static void concurrently(int n, Clients client) throws IOException {
        List<Future<?>> runs = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(AT_A_TIME)) {
            for (int i = 0; i < n; i++) {
                runs.add(pool.submit(() -> {
                    client.run();
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case Error error -> throw error;
                case IOException io -> throw io;
                default -> throw new AssertionError(e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void drainQuietly(Socket client) throws IOException {
        try {
            while (client.getInputStream().read() >= 0) {
                // until the proxy closes or resets it
            }
        } catch (SocketException reset) {
            // as expected for a refused client
        }
    }

    private static int openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        }
    }
}
