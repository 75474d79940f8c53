package lbd.director.chaos;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import lbd.director.TestHttp;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlReply;
import lbd.director.control.ControlRequest;
import lbd.director.control.LbadmArguments;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on real servers and on lbd itself while a load client keeps requesting through a masq VIP. lbd (its
 * own process, with bin/lbd's memory limits scaled down) and three real servers (each a process of its own, see
 * {@link ChaosRealServer}) start once for the class; each scenario starts from all three serving, runs the load,
 * injects its faults and then checks, whatever the fault:
 * <ul>
 *   <li>every failed request was in flight at a fault — it started before the fault was over (for a real server
 *       that hangs or stops: before lbd's health check took it out) — and no fault failed more requests than
 *       the load has in flight at once (its threads);</li>
 *   <li>lbd keeps serving: requests that start after the last fault are answered;</li>
 *   <li>no descriptor or thread leak: lbd's /proc/PID/fd and /proc/PID/task counts come back to what they were
 *       before the scenario;</li>
 *   <li>RSS stays under heap + direct memory + 256 MiB (the README's sizing rule);</li>
 *   <li>the log says what happened in one line per fault (at most one "down" and one "up" per server and
 *       fault), and holds no exception or stack trace.</li>
 * </ul>
 * Covered elsewhere, not repeated here: descriptor exhaustion under {@code ulimit -n} ({@link FdExhaustionTest}),
 * every failure path's descriptors per transport (NatFailurePathFdTest), reloads' zero failures in-process
 * (ReloadUnderLoadTest). A SYN flood on a NAT VIP is the kernel's to absorb with syncookies (lbd never sees
 * the half-open connections), checked here from a network namespace; the direct-routing flow table's own
 * defence is pinned in FlowTableSynFloodTest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChaosUnderLoadTest {

    private static final int LOAD_THREADS = 3;
    private static final long HEAP_MIB = 256;
    private static final long DIRECT_MIB = 256;
    /** lbd's descriptor limit: room for 10,000 idle clients (two descriptors each) and lbd's own. */
    private static final int LBD_FD_LIMIT = 32_768;
    private static final int IDLE_CONNECTIONS = 10_000;
    /**
     * Root only: a namespace cabled to this one by a veth pair, for a flood from outside and a real server
     * behind a lossy, slow link. The names are this test's own (other tests run namespaces concurrently).
     */
    private static final String NETNS = "lbt-i20c-fl";
    private static final String VETH_HOST = "lbti20c-h";
    private static final String VETH_NS = "lbti20c-n";
    private static final String HOST_SIDE = "198.19.120.1";
    private static final String NS_SIDE = "198.19.120.2";
    /** In the veth's /29 but on neither end: the SYN-ACKs to it find no neighbour and go nowhere. */
    private static final String SPOOFED = "198.19.120.3";
    private static final String DOWN = " down: ";
    private static final String UP = " up: ";

    @TempDir
    static Path dir;

    private LbdProcess lbd;
    private final List<RealServerProcess> servers = new ArrayList<>();
    private int vipPort;
    /** The VIP on the veth's host side, flooded from the namespace (0: no namespace, not root). */
    private int floodedVipPort;
    private String noNamespaceWhy;
    private final List<Long> rssAfterScenario = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        // The servers' class path: this module's test classes (ChaosRealServer) and nothing else lbd needs.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int fdLimit = fdLimitAllowed();
        for (int i = 0; i < 3; i++) {
            servers.add(new RealServerProcess(freePort(), "RS" + (i + 1), cp, fdLimit));
        }
        // Their JVMs start side by side.
        for (Thread t : servers.stream().map(s -> Thread.ofVirtual().start(() -> {
            try {
                s.start();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })).toList()) {
            t.join();
        }
        for (RealServerProcess s : servers) {
            assertThat(s.isRunning()).as("real server %s started", s.name).isTrue();
        }
        vipPort = freePort();
        noNamespaceWhy = namespaceCabled();
        if (noNamespaceWhy == null) {
            floodedVipPort = freePort();
        }
        lbd = LbdProcess.start(dir, config(1), Math.min(LBD_FD_LIMIT, fdLimit),
                "-XX:+UseZGC", "-XX:+UseCompactObjectHeaders", "-Xss512k",
                "-Xmx" + HEAP_MIB + "m", "-XX:MaxDirectMemorySize=" + DIRECT_MIB + "m", "-XX:+ExitOnOutOfMemoryError",
                // A thread count that does not move with the JIT's or GC's mood, so a leak shows.
                "-XX:TieredStopAtLevel=1", "-XX:-UseDynamicNumberOfCompilerThreads",
                "-XX:-UseDynamicNumberOfGCThreads");
        lbd.awaitServing(vipPort, Duration.ofSeconds(60));
        // The reload and control-socket threads start with their first request, the JDK's socket pollers with the
        // first virtual thread that waits on a socket: before any scenario counts.
        assertThat(ControlClient.send(lbd.socket, new ControlRequest.Reload()).ok()).isTrue();
        lbd.awaitIoPollers(Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() throws IOException {
        try {
            if (lbd != null) {
                System.out.printf("chaos: lbd's RSS after each scenario (MiB): %s; at the end %d MiB%n",
                        rssAfterScenario, lbd.rssKiB() / 1024);
            }
        } finally {
            if (lbd != null) {
                lbd.close();
            }
            servers.forEach(RealServerProcess::close);
            if (floodedVipPort != 0) {
                Shell.attempt(List.of("ip", "netns", "delete", NETNS)); // takes the veth pair with it
            }
        }
    }

    /** Makes the namespace and its veth pair; null when done, else why not. */
    private static String namespaceCabled() {
        if (!Shell.isRoot()) {
            return "not root (network namespaces)";
        }
        Shell.attempt(List.of("ip", "netns", "delete", NETNS)); // left by an earlier run that was killed
        Shell.attempt(List.of("ip", "link", "delete", VETH_HOST));
        Shell.run(List.of("ip", "netns", "add", NETNS)).assertOk("ip netns add");
        Shell.run(List.of("ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS, "netns", NETNS))
                .assertOk("veth pair");
        Shell.run(List.of("ip", "addr", "add", HOST_SIDE + "/29", "dev", VETH_HOST)).assertOk("host address");
        Shell.run(List.of("ip", "link", "set", VETH_HOST, "up")).assertOk("host side up");
        Shell.inNetns(NETNS, "ip", "addr", "add", NS_SIDE + "/29", "dev", VETH_NS).assertOk("namespace address");
        Shell.inNetns(NETNS, "ip", "link", "set", VETH_NS, "up").assertOk("namespace side up");
        Shell.inNetns(NETNS, "ip", "link", "set", "lo", "up").assertOk("namespace lo up");
        return null;
    }

    /** Every scenario starts with all three real servers in service and answering. */
    @BeforeEach
    void allServing() {
        await().atMost(Duration.ofSeconds(30)).until(this::allThreeAnswer);
    }

    @Test
    @Order(1)
    void aRealServerKilledWithSigkillFailsAtMostTheRequestsInFlightOnIt() throws Exception {
        RealServerProcess victim = servers.get(0);
        underLoad(1, load -> {
            long begin = load.now();
            victim.kill9();
            LoadClient.Fault kill = new LoadClient.Fault("kill -9 " + victim.name, begin, load.now());
            // Connections to its closed port are refused and lbd tries another server: nothing more fails.
            awaitLog(victim, DOWN, 1);
            awaitAnswered(load, kill.end());
            victim.start();
            awaitLog(victim, UP, 1);
            return List.of(kill);
        });
    }

    @Test
    @Order(2)
    void aStoppedRealServerFailsNothingOnceItIsTakenOut() throws Exception {
        RealServerProcess victim = servers.get(1);
        underLoad(1, load -> {
            long begin = load.now();
            victim.stop();
            LoadClient.Fault stop;
            try {
                // Until its check times out, connections still reach its queue; they wait there and are
                // answered when it continues (a request waits 30 s).
                awaitLog(victim, DOWN, 1);
                stop = new LoadClient.Fault("kill -STOP " + victim.name, begin, load.now());
                // The load's threads may all be waiting on it by now; fresh requests are served by the others.
                assertServedWithout(victim);
            } finally {
                victim.resume();
            }
            awaitLog(victim, UP, 1);
            return List.of(stop);
        });
    }

    @Test
    @Order(3)
    void aRealServerThatHangsFailsOnlyTheRequestsItHeld() throws Exception {
        RealServerProcess victim = servers.get(2);
        underLoad(1, load -> {
            long begin = load.now();
            assertThat(victim.command("hang")).isEqualTo("ok");
            LoadClient.Fault hang;
            try {
                awaitLog(victim, DOWN, 1);
                hang = new LoadClient.Fault("hang " + victim.name, begin, load.now());
                // The load's threads may all be waiting on it by now; fresh requests are served by the others.
                assertServedWithout(victim);
            } finally {
                // Its held connections (requests and health checks) are closed unanswered: those requests fail.
                assertThat(victim.command("release")).startsWith("released ");
            }
            awaitLog(victim, UP, 1);
            return List.of(hang);
        });
    }

    @Test
    @Order(4)
    void aSlowRealServerStaysInServiceAndFailsNothing() throws Exception {
        RealServerProcess victim = servers.get(0);
        underLoad(0, load -> {
            assertThat(victim.command("slow 300")).isEqualTo("ok");
            long since = load.now();
            await().atMost(Duration.ofSeconds(30)).until(() -> load.completed().stream()
                    .filter(r -> r.start() > since && r.failure() == null).count() >= 30);
            assertThat(victim.command("slow 0")).isEqualTo("ok");
            return List.of();
        });
        assertThat(logSince(logOffset)).as("the slow server was never taken out").doesNotContain(victim.port + DOWN);
    }

    @Test
    @Order(5)
    void aFlappingRealServerFailsAtMostTheRequestsInFlightAtEachFlap() throws Exception {
        RealServerProcess victim = servers.get(1);
        // Its listener closes and opens again five times, faster than its checks: lbd's connects to it are
        // refused meanwhile and go to another server. Closing a listener resets the connections still in its
        // accept queue: those requests, in flight at the flap, may fail.
        underLoad(5, load -> {
            List<LoadClient.Fault> flaps = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                long begin = load.now();
                assertThat(victim.command("unlisten")).isEqualTo("ok");
                flaps.add(new LoadClient.Fault("flap " + i + " of " + victim.name, begin, load.now()));
                awaitAnswered(load, load.now());
                assertThat(victim.command("listen")).isEqualTo("ok");
            }
            await().atMost(Duration.ofSeconds(30)).until(this::allThreeAnswer);
            return flaps;
        });
    }

    @Test
    @Order(6)
    void twoHundredReloadsUnderLoadFailNothingAndLeakNothing() throws Exception {
        Path file = dir.resolve("ldirectord.cf");
        underLoad(0, load -> {
            for (int i = 0; i < 200; i++) {
                Files.writeString(file, config(1 + i % 3));
                ControlReply reply = ControlClient.send(lbd.socket, new ControlRequest.Reload());
                assertThat(reply.ok()).as(reply.message()).isTrue();
            }
            Files.writeString(file, config(1));
            assertThat(ControlClient.send(lbd.socket, new ControlRequest.Reload()).ok()).isTrue();
            return List.of();
        });
    }

    @Test
    @Order(7)
    void lbadmEditsUnderLoadFailNothing() throws Exception {
        String vip = "127.0.0.1:" + vipPort;
        String real = "127.0.0.1:" + servers.get(2).port;
        // A server lbadm adds is checked before it gets traffic: each add logs it up once.
        underLoad(10, load -> {
            int lastAdd = 0;
            for (int i = 0; i < 10; i++) {
                lbadm("-e", "-t", vip, "-r", real, "-m", "-w", "3");
                lbadm("-E", "-t", vip, "-s", "wlc");
                lbadm("-d", "-t", vip, "-r", real);
                lastAdd = lbd.log().length();
                lbadm("-a", "-t", vip, "-r", real, "-m", "-w", "1");
                lbadm("-E", "-t", vip, "-s", "wrr");
            }
            // The last one added is checked and logged up before the next scenario counts its lines.
            int offset = lastAdd;
            await().atMost(Duration.ofSeconds(30)).until(() -> lbd.logSince(offset).contains(real + UP));
            return List.of();
        });
    }

    @Test
    @Order(8)
    void slowlorisClientsDoNotStarveTheOthersAndLeaveNothingBehind() throws Exception {
        underLoad(0, load -> {
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 500; i++) {
                    Socket s = connectToVip();
                    slow.add(s);
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: vip\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                // Each sends one more header line, never the end of its request.
                for (int i = 0; i < slow.size(); i++) {
                    OutputStream out = slow.get(i).getOutputStream();
                    out.write(("X-Slow-" + i + ": y\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                long since = load.now();
                awaitAnswered(load, since);
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            return List.of();
        });
    }

    @Test
    @Order(9)
    void tenThousandIdleConnectionsAreHeldWhileOthersAreServed() throws Exception {
        // lbd holds two descriptors per connection: where the hard limit cannot be raised past 20,000 (a
        // container without CAP_SYS_RESOURCE), as many as it allows, and the count is printed.
        int connections = Math.min(IDLE_CONNECTIONS, (fdLimitAllowed() - 1_000) / 2);
        assumeTrue(connections >= 1_000, "the open-files limit (ulimit -Hn) is too low for idle connections");
        underLoad(0, load -> {
            int fdsBefore = lbd.openFds();
            List<Socket> idle = java.util.Collections.synchronizedList(new ArrayList<>(connections));
            try {
                // From four threads: lbd's two loops accept while the next clients connect.
                List<Thread> connectors = new ArrayList<>();
                List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                for (int t = 0; t < 4; t++) {
                    int share = connections / 4 + (t < connections % 4 ? 1 : 0);
                    connectors.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (int i = 0; i < share; i++) {
                                idle.add(connectToVip());
                            }
                        } catch (IOException | RuntimeException e) {
                            failures.add(e);
                        }
                    }));
                }
                for (Thread t : connectors) {
                    t.join();
                }
                assertThat(failures).as("idle clients that could not connect").isEmpty();
                assertThat(idle).hasSize(connections);
                // Each is proxied: lbd holds its client's descriptor and its real server's.
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(lbd.openFds())
                        .isGreaterThanOrEqualTo(fdsBefore + 2 * connections));
                awaitAnswered(load, load.now());
                assertThat(lbd.rssKiB() / 1024).as("lbd's RSS with %d idle connections (MiB)", connections)
                        .isLessThan(HEAP_MIB + DIRECT_MIB + 256);
                System.out.printf("chaos: lbd's RSS with %d idle connections: %d MiB%n", connections,
                        lbd.rssKiB() / 1024);
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
            return List.of();
        });
    }

    @Test
    @Order(10)
    void aSynFloodOnANatVipIsAbsorbedByTheKernelsSyncookies() throws Exception {
        assumeTrue(floodedVipPort != 0, () -> "no SYN flood: " + noNamespaceWhy);
        assumeTrue(Shell.attempt(List.of("sh", "-c", "command -v hping3")).exitCode() == 0,
                "no SYN flood: hping3 is not installed (CI installs it)");
        underLoad(0, load -> {
            long cookiesBefore = syncookiesSent();
            // From the namespace, as fast as hping3 goes, from an address that never answers the SYN-ACKs.
            Process flood = new ProcessBuilder("ip", "netns", "exec", NETNS, "hping3", "-q", "-S", "--flood",
                    "-p", Integer.toString(floodedVipPort), "-a", SPOOFED, HOST_SIDE)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> syncookiesSent() >= cookiesBefore + 5_000);
                // The flooded VIP still takes connections (the kernel answers with cookies) and lbd serves them.
                for (int i = 0; i < 20; i++) {
                    assertThat(TestHttp.get(null, HOST_SIDE, floodedVipPort)).as("request %d during the flood", i)
                            .startsWith("This is RS");
                }
                awaitAnswered(load, load.now());
            } finally {
                flood.destroyForcibly();
                flood.waitFor(10, TimeUnit.SECONDS);
            }
            return List.of();
        });
    }

    @Test
    @Order(11)
    void aRealServerBehindASlowLossyLinkStaysInServiceAndFailsNothing() throws Exception {
        assumeTrue(floodedVipPort != 0, () -> "no slow link: " + noNamespaceWhy);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String vip = "127.0.0.1:" + vipPort;
        String real = NS_SIDE + ":" + 8080;
        try (SlowLossyLink link = SlowLossyLink.on(NETNS, VETH_NS);
                RealServerProcess far = new RealServerProcess(8080, "RS4", cp, 4_096, NS_SIDE, NETNS).start()) {
            underLoad(1, load -> {
                lbadm("-a", "-t", vip, "-r", real, "-m", "-w", "1");
                await().atMost(Duration.ofSeconds(30)).until(() -> lbd.logSince(logOffset).contains(real + UP));
                long since = load.now();
                await().atMost(Duration.ofSeconds(60)).until(() -> load.answeredBySince("RS4", since) >= 30);
                lbadm("-d", "-t", vip, "-r", real);
                return List.of();
            });
            assertThat(link.dropped()).as("the link lost packets (%s)", link.how).isPositive();
            assertThat(logSince(logOffset)).as("the far server was never taken out").doesNotContain(real + DOWN);
        }
    }

    /** The kernel's count of SYN cookies sent (TcpExt SyncookiesSent in /proc/net/netstat). */
    private static long syncookiesSent() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            String[] names = lines.get(i).split(" ");
            String[] values = lines.get(i + 1).split(" ");
            for (int j = 1; j < names.length; j++) {
                if (names[0].equals("TcpExt:") && names[j].equals("SyncookiesSent")) {
                    return Long.parseLong(values[j]);
                }
            }
        }
        throw new AssertionError("no TcpExt SyncookiesSent in /proc/net/netstat");
    }

    // ---- the scenario frame ----

    private interface Scenario {
        /** Injects the faults under {@code load}; returns them, each once it is over. */
        List<LoadClient.Fault> run(LoadClient load) throws Exception;
    }

    private int logOffset;

    /**
     * Runs {@code scenario} under load and checks what every scenario must keep (see the class comment).
     * {@code faultLines}: how many health transitions of each kind ("down", "up") the faults should log at
     * most, per faulty server.
     */
    private void underLoad(int faultLines, Scenario scenario) throws Exception {
        int fdsBefore = lbd.openFds();
        List<String> fdsBeforeDescribed = lbd.describeFds();
        List<String> threadsBefore = lbd.threadNames();
        logOffset = lbd.log().length();
        List<LoadClient.Fault> faults;
        List<LoadClient.Request> requests;
        try (LoadClient load = new LoadClient(vipPort, LOAD_THREADS, 2)) {
            awaitAnswered(load, 0);
            faults = scenario.run(load);
            long after = faults.isEmpty() ? 0 : faults.getLast().end();
            awaitAnswered(load, after);
            requests = load.stop();
        }

        // Failures: each in flight at a fault, and no more per fault than the load ever has in flight.
        List<LoadClient.Request> failed = requests.stream().filter(r -> r.failure() != null).toList();
        for (LoadClient.Request f : failed) {
            assertThat(faults).as("a fault that request %s (failed: %s) was in flight at", f, f.failure())
                    .anyMatch(f::overlaps);
        }
        for (LoadClient.Fault fault : faults) {
            long failedAtIt = failed.stream().filter(r -> r.overlaps(fault)).count();
            assertThat(failedAtIt).as("requests failed at %s", fault.what()).isLessThanOrEqualTo(LOAD_THREADS);
        }

        // No leak, bounded memory.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(lbd.openFds())
                .as(() -> "lbd's descriptors once the scenario is over; added: " + added(fdsBeforeDescribed))
                .isLessThanOrEqualTo(fdsBefore));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<String> threads = lbd.threadNames();
            List<String> added = new ArrayList<>(threads);
            threadsBefore.forEach(added::remove);
            assertThat(threads.size()).as("lbd's threads once the scenario is over; new: %s", added)
                    .isLessThanOrEqualTo(threadsBefore.size());
        });
        long rssMiB = lbd.rssKiB() / 1024;
        rssAfterScenario.add(rssMiB);
        assertThat(rssMiB).as("lbd's RSS (MiB)").isLessThan(HEAP_MIB + DIRECT_MIB + 256);

        // The log: what happened, once; never an exception.
        String log = logSince(logOffset);
        assertThat(log).doesNotContain("Exception").doesNotContain("\tat ")
                .doesNotContain("reached at the tail of the pipeline");
        for (RealServerProcess s : servers) {
            for (String transition : new String[] {DOWN, UP}) {
                assertThat(transitions(log, s, transition))
                        .as("log lines '%s%s' in%n%s", s.name, transition, log).isLessThanOrEqualTo(faultLines);
            }
        }
        assertThat(lbd.process.isAlive()).as("lbd is running").isTrue();
    }

    // ---- helpers ----

    /**
     * lbd's descriptors now that were not open (to the same thing) in {@code before}, and lbd's own list of its
     * connections ({@code lbadm -Lnc}): what a leak is, when there is one.
     */
    private String added(List<String> before) {
        StringBuilder text = new StringBuilder();
        try {
            List<String> now = new ArrayList<>(lbd.describeFds());
            before.forEach(now::remove);
            text.append(now);
        } catch (IOException e) {
            text.append("(cannot read /proc: ").append(e.getMessage()).append(')');
        }
        try {
            ControlReply connections = ControlClient.send(lbd.socket, new ControlRequest.ListConnections(true, false,
                    false));
            text.append("; lbadm -Lnc:\n").append(connections.body());
        } catch (IOException e) {
            text.append("; lbadm -Lnc failed: ").append(e.getMessage());
        }
        return text.toString();
    }

    private String config(int weight) {
        StringBuilder reals = new StringBuilder();
        for (RealServerProcess s : servers) {
            reals.append("\treal=127.0.0.1:").append(s.port).append(" masq ").append(weight).append('\n');
        }
        String service = """
                %s\tservice=http
                \trequest="index.html"
                \treceive="This is"
                \tscheduler=wrr
                \tprotocol=tcp
                \tchecktype=negotiate
                """.formatted(reals);
        return """
                checktimeout=3
                checkinterval=1
                quiescent=no
                virtual=127.0.0.1:%d
                %s""".formatted(vipPort, service)
                + (floodedVipPort == 0 ? "" : "virtual=" + HOST_SIDE + ":" + floodedVipPort + "\n" + service);
    }

    private boolean allThreeAnswer() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 30 && seen.size() < 3; i++) {
            seen.add(TestHttp.get(vipPort));
        }
        return seen.equals(Set.of("This is RS1", "This is RS2", "This is RS3"));
    }

    /** 20 requests on new connections, each answered, none by {@code victim}. */
    private void assertServedWithout(RealServerProcess victim) {
        for (int i = 0; i < 20; i++) {
            assertThat(TestHttp.get(vipPort)).as("request %d while %s is out", i, victim.name)
                    .startsWith("This is RS").isNotEqualTo("This is " + victim.name);
        }
    }

    /** Waits until 50 requests that started after {@code stamp} were answered: lbd is serving. */
    private static void awaitAnswered(LoadClient load, long stamp) {
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answeredSince(stamp) >= 50);
    }

    /** Waits until the scenario's log has {@code n} lines of {@code server}'s {@code transition}. */
    private void awaitLog(RealServerProcess server, String transition, int n) {
        await().atMost(Duration.ofSeconds(30)).until(
                () -> transitions(logSince(logOffset), server, transition) >= n);
    }

    private String logSince(int offset) throws IOException {
        return lbd.logSince(offset);
    }

    /**
     * The log's lines about {@code server}'s {@code transition} in the loopback VIP's service (the flooded VIP,
     * when there is one, has the same servers and logs its own line).
     */
    private long transitions(String log, RealServerProcess server, String transition) {
        String service = "[virtual TCP 127.0.0.1:" + vipPort + "]";
        return log.lines().filter(l -> l.contains(server.address + ":" + server.port + transition)
                && l.contains(service)).count();
    }

    private Socket connectToVip() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", vipPort), 5_000);
        return s;
    }

    private void lbadm(String... args) throws Exception {
        String[] withSocket = new String[args.length + 2];
        System.arraycopy(args, 0, withSocket, 0, args.length);
        withSocket[args.length] = "--socket";
        withSocket[args.length + 1] = lbd.socket.toString();
        LbadmArguments.Send send = (LbadmArguments.Send) LbadmArguments.parse(withSocket);
        ControlReply reply = ControlClient.send(send.socket(), send.request());
        assertThat(reply.ok()).as("lbadm %s: %s", String.join(" ", args), reply.message()).isTrue();
    }

    /**
     * The open-files limit the test can give its processes: {@link #LBD_FD_LIMIT} where the hard limit allows it
     * or may be raised (root with CAP_SYS_RESOURCE, as in CI), else the hard limit.
     */
    private static int fdLimitAllowed() throws IOException, InterruptedException {
        Process raise = new ProcessBuilder("sh", "-c", "ulimit -n " + LBD_FD_LIMIT).redirectErrorStream(true).start();
        raise.getInputStream().readAllBytes();
        if (raise.waitFor() == 0) {
            return LBD_FD_LIMIT;
        }
        Process p = new ProcessBuilder("sh", "-c", "ulimit -Hn").start();
        String hard = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        p.waitFor();
        return Integer.parseInt(hard);
    }
}
