package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.Endpoint;
import lbd.config.model.RealServer;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualServiceKey;
import lbd.testing.ProcNetTcp;

/**
 * checktype=connect (and HTTP negotiate checks) on the shared non-blocking loop, observed through the monitor, against
 * loopback servers.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SocketCheckLoopTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String LOOP_THREAD = "lbd-health-sockets";

    private final RecordingListener listener = new RecordingListener();
    private final HealthMonitor monitor = new HealthMonitor(listener).start();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        monitor.close();
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private CountingServer counting() throws Exception {
        CountingServer server = new CountingServer();
        resources.add(server);
        return server;
    }

    private RealServerStatus status(VirtualServiceKey service, int port) {
        return MonitorView.status(monitor, service, port);
    }

    private HealthState state(VirtualServiceKey service, int port) {
        return status(service, port).state();
    }

    private static long loopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(LOOP_THREAD)).count();
    }

    @Test
    void upOnAListeningPortDownWithTheReasonOnAClosedOneAndEveryProbeIsTimed() throws Exception {
        CountingServer good = counting();
        int dead = MonitorView.closedPort();
        TestConfig config = TestConfig.connect();
        monitor.apply(config.cluster(List.of(config.real(good.port()), config.real(dead))));
        assertThat(status(config.key(), good.port()).lastCheck()).as("not probed yet").isEmpty();

        await().atMost(WAIT).until(() -> state(config.key(), good.port()) == HealthState.UP);
        await().atMost(WAIT).until(() -> listener.has(dead, HealthState.DOWN,
                r -> r.equals("connect: connection refused")));
        assertThat(listener.eventsFor(good.port())).singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo("connect: connected"));

        // Steady state reports nothing (the published snapshot stays the same object), yet checks go on and
        // each one's duration is published.
        ServiceHealth snapshot = monitor.service(config.key()).orElseThrow();
        Duration first = status(config.key(), good.port()).lastCheck().orElseThrow();
        int accepted = good.accepted();
        await().atMost(WAIT).until(() -> good.accepted() >= accepted + 3
                && !status(config.key(), good.port()).lastCheck().orElseThrow().equals(first));
        assertThat(monitor.service(config.key()).orElseThrow()).isSameAs(snapshot);
        assertThat(listener.eventsFor(good.port())).hasSize(1);
        assertThat(listener.eventsFor(dead)).hasSize(1);
    }

    /** IPv6 real servers: the probe's socket address is a sockaddr_in6, made once per server. */
    @Test
    void checksAnIpv6ServerUpAndAClosedIpv6PortDown() throws Exception {
        CountingServer good;
        try {
            good = CountingServer.on("::1");
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e.getMessage());
            return;
        }
        resources.add(good);
        int dead = MonitorView.closedPort();
        TestConfig config = TestConfig.connect();
        monitor.apply(config.cluster(List.of(config.real("::1", good.port()), config.real("::1", dead))));

        await().atMost(WAIT).until(() -> state(config.key(), good.port()) == HealthState.UP
                && status(config.key(), dead).checked()); // the verdict, not only the duration written before it
        assertThat(good.accepted()).isPositive();
        assertThat(status(config.key(), dead).state()).isEqualTo(HealthState.DOWN);
        assertThat(status(config.key(), dead).reason()).isEqualTo("connect: connection refused");
    }

    @Test
    void failurecountConsecutiveRefusalsTakeAnUpServerDown() throws Exception {
        CountingServer server = counting();
        TestConfig config = TestConfig.connect();
        config.failureCount = 3;
        monitor.apply(config.cluster(List.of(config.real(server.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);

        server.close();
        long closed = System.nanoTime();
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.DOWN);
        // Three refusals one checkinterval (100 ms) apart: never sooner than two intervals after the close.
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(listener.eventsFor(server.port())).extracting(HealthEvent::state, HealthEvent::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(HealthState.UP, "connect: connected"),
                        org.assertj.core.groups.Tuple.tuple(HealthState.DOWN, "connect: connection refused"));
    }

    @Test
    void aHandshakeThatNeverCompletesTimesOutAtConnecttimeoutWithoutDelayingOthersOrOverlapping() throws Exception {
        FullBacklogServer hung = new FullBacklogServer();
        resources.add(hung);
        CountingServer healthy = counting();
        TestConfig config = TestConfig.connect(); // checkinterval 100 ms, connecttimeout 1 s
        monitor.apply(config.cluster(List.of(config.real(hung.port()), config.real(healthy.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), healthy.port()) == HealthState.UP);

        int before = healthy.accepted();
        int maxInFlight = 0;
        int sawInFlight = 0;
        long end = System.nanoTime() + Duration.ofMillis(1_500).toNanos();
        while (System.nanoTime() < end) {
            int inFlight = synSentTo(hung.port());
            maxInFlight = Math.max(maxInFlight, inFlight);
            sawInFlight += inFlight > 0 ? 1 : 0;
            Thread.sleep(50);
        }
        // ~15 checks of the healthy server in 1.5 s at 100 ms if nothing waits for the hung one.
        assertThat(healthy.accepted() - before).isGreaterThanOrEqualTo(7);
        assertThat(sawInFlight).as("the hung server's connect was seen in flight").isPositive();
        assertThat(maxInFlight).as("probes of one server never overlap").isEqualTo(1);

        await().atMost(WAIT).until(() -> listener.has(hung.port(), HealthState.DOWN,
                r -> r.equals("connect: timed out after 1 s")));
        assertThat(status(config.key(), hung.port()).lastCheck().orElseThrow())
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(state(config.key(), healthy.port())).isEqualTo(HealthState.UP);
    }

    /**
     * Sockets of this network namespace in SYN_SENT to 127.0.0.1:port (the probe's socket is an IPv4 one). By inode:
     * the kernel writes /proc/net/tcp a page at a time, and a socket that moves in the hash table between two pages
     * can be listed twice in one read.
     */
    private static int synSentTo(int port) throws Exception {
        return (int) ProcNetTcp.sockets(ProcessHandle.current().pid()).values().stream()
                .filter(s -> s.state().equals("SYN_SENT") && s.remote().equals("127.0.0.1:" + port)).count();
    }

    @Test
    void reloadKeepsStateRestartsChangedChecksFromTheirStateAndStopsRemovedServers() throws Exception {
        CountingServer kept = counting();
        CountingServer changed = counting();
        CountingServer removed = counting();
        TestConfig config = TestConfig.connect();
        config.failureCount = 3;
        monitor.apply(config.cluster(List.of(config.real(kept.port()), config.real(removed.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), kept.port()) == HealthState.UP
                && state(config.key(), removed.port()) == HealthState.UP);

        RealServer keptHeavier = TestConfig.real(config.key(), Endpoint.of("127.0.0.1", kept.port()), 7);
        monitor.apply(config.cluster(List.of(keptHeavier, config.real(changed.port()))));
        RealServerStatus after = status(config.key(), kept.port());
        assertThat(after.state()).isEqualTo(HealthState.UP);
        assertThat(after.server().weight()).isEqualTo(7);
        await().atMost(WAIT).until(() -> state(config.key(), changed.port()) == HealthState.UP);

        int removedAccepted = removed.accepted();
        Thread.sleep(400);
        assertThat(removed.accepted()).as("removed servers are no longer checked")
                .isLessThanOrEqualTo(removedAccepted + 1);

        // New check settings: a new check that starts from the current state, so no flap.
        config.connectTimeout = Duration.ofMillis(700);
        monitor.apply(config.cluster(List.of(keptHeavier, config.real(changed.port()))));
        assertThat(state(config.key(), kept.port())).isEqualTo(HealthState.UP);
        int keptAccepted = kept.accepted();
        await().atMost(WAIT).until(() -> kept.accepted() >= keptAccepted + 3);
        assertThat(listener.eventsFor(kept.port())).hasSize(1); // the first UP only
        assertThat(listener.eventsFor(changed.port())).hasSize(1);
    }

    @Test
    void aFileInMaintenancedirTakesTheServerOutWithoutConnecting(@TempDir Path dir) throws Exception {
        CountingServer server = counting();
        TestConfig config = TestConfig.connect();
        config.maintenanceDir = Optional.of(dir);
        config.failureCount = 5; // maintenance does not wait for failurecount
        monitor.apply(config.cluster(List.of(config.real(server.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);

        Path file = Files.createFile(dir.resolve("127.0.0.1:" + server.port()));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.DOWN);
        assertThat(status(config.key(), server.port()).maintenance()).isTrue();
        assertThat(listener.events.getLast().reason()).isEqualTo("maintenance");
        int atDown = server.accepted();
        Thread.sleep(400);
        assertThat(server.accepted()).as("no connects while in maintenance").isLessThanOrEqualTo(atDown + 1);

        Files.delete(file);
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);

        Files.createFile(dir.resolve("127.0.0.1")); // the IP alone covers every port
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.DOWN);
    }

    @Test
    void closeLeavesNoThreadBehind() throws Exception {
        CountingServer server = counting();
        long before = loopThreads();
        HealthMonitor own = new HealthMonitor(HealthListener.NONE).start();
        try {
            TestConfig config = TestConfig.connect();
            own.apply(config.cluster(List.of(config.real(server.port()))));
            assertThat(loopThreads()).isEqualTo(before + 1);
            await().atMost(WAIT).until(() -> own.service(config.key()).orElseThrow().upCount() == 1);
        } finally {
            own.close();
        }
        assertThat(loopThreads()).isEqualTo(before);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.isAlive()
                && t.getName().startsWith("check 127.0.0.1:" + server.port()));
    }

    /**
     * Every way a probe ends closes its socket: refused, reset on connecting, timed out with nothing said, and
     * answered — connect and HTTP checks alike. Counted, once the monitor is closed, as this process's sockets but
     * the servers' ends (in this process too), and the loop's own epoll and eventfd descriptors.
     */
    @Test
    void everyEndOfAProbeClosesItsSocketAndCloseReleasesTheLoopsDescriptors() throws Exception {
        HungServer hung = new HungServer();
        resources.add(hung);
        CountingServer resetting = CountingServer.resetting();
        resources.add(resetting);
        TestHttpServer good = new TestHttpServer();
        resources.add(good);
        int refused = MonitorView.closedPort();
        Set<Integer> ports = Set.of(hung.port(), resetting.port(), good.port(), refused);
        // One exchange with each server first: the JDK makes its virtual threads' pollers (epoll sets) lazily.
        exchange(hung.port(), "");
        exchange(resetting.port(), "");
        exchange(good.port(), "GET / HTTP/1.0\r\n\r\n");
        await().atMost(WAIT).until(() -> hung.accepted() == 1 && resetting.accepted() == 1 && good.requests.get() == 1);
        long loopDescriptorsBefore = loopDescriptors();
        int socketsBefore = proberSockets(ports);

        HealthMonitor own = new HealthMonitor(HealthListener.NONE).start();
        try {
            TestConfig http = TestConfig.negotiate(ServiceType.HTTP);
            http.interval = Duration.ofMillis(50);
            http.negotiateTimeout = Duration.ofMillis(200);
            http.connectTimeout = Duration.ofMillis(200);
            http.request = Optional.of("/");
            TestConfig connect = TestConfig.connect();
            connect.vip = Endpoint.of("198.18.0.2", 80);
            connect.interval = Duration.ofMillis(50);
            List<RealServer> servers = new ArrayList<>();
            for (int port : ports) {
                servers.add(http.real(port));
            }
            own.apply(http.cluster(http.service(servers), connect.service(List.of(connect.real(refused),
                    connect.real(resetting.port()), connect.real(good.port())))));
            assertThat(loopDescriptors()).isEqualTo(loopDescriptorsBefore + 2); // its epoll set and its eventfd

            // Three timeouts of the hung server: ~20 probes of every other one, each ended one of the four ways.
            await().atMost(WAIT).until(() -> hung.accepted() >= 4 && resetting.accepted() >= 20);
            await().atMost(WAIT).until(() -> own.service(http.key()).orElseThrow().upCount() == 1);
        } finally {
            own.close();
        }
        // The servers' ends that the probes reset are in no table either, until their servers close them.
        hung.close();
        await().atMost(WAIT).until(() -> proberSockets(ports) == socketsBefore);
        assertThat(loopDescriptors()).isEqualTo(loopDescriptorsBefore);
    }

    private static void exchange(int port, String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            if (!request.isEmpty()) {
                s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getInputStream().readAllBytes();
            }
        }
    }

    /**
     * This process's sockets other than the servers' own ends (those have a server's port as their local one): the
     * probes' ends among them. A probe's socket whose connect failed is in no /proc/net table, so sockets are counted
     * by descriptor, not by table entry.
     */
    private static int proberSockets(Set<Integer> serverPorts) throws Exception {
        long pid = ProcessHandle.current().pid();
        var sockets = ProcNetTcp.sockets(pid);
        int count = 0;
        for (String link : ProcNetTcp.descriptorLinks(pid)) {
            ProcNetTcp.TcpSocket socket = sockets.get(link);
            if (link.startsWith("socket:") && (socket == null || !serverPorts.contains(socket.localPort()))) {
                count++;
            }
        }
        return count;
    }

    /** The loop's own kind of descriptor: epoll sets and eventfds (the JDK's pollers make epoll sets too, once). */
    private static long loopDescriptors() throws Exception {
        return ProcNetTcp.descriptorLinks(ProcessHandle.current().pid()).stream()
                .filter(link -> link.equals("anon_inode:[eventpoll]") || link.equals("anon_inode:[eventfd]")).count();
    }
}
