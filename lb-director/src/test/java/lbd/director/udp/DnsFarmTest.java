package lbd.director.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import lbd.director.cli.LbadmMain;
import lbd.director.control.ConfigReloader;
import lbd.director.control.DirectorOps;
import lbd.director.core.Director;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DNS farm behind a UDP VIP, end to end: lbd with an ldirectord.cf ({@code protocol=udp}, {@code service=dns}),
 * three real dnsmasq servers on 127.0.0.2-4 that each answer a different address for one name (started once for
 * the class), and the real client dig. rr alternates over them on every transport; a stopped server leaves after
 * its dns check fails and comes back when it answers again; lbadm lists the service as ipvsadm lists UDP.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DnsFarmTest {

    private static final Path DNSMASQ = Path.of("/usr/sbin/dnsmasq");
    private static final Path DIG = Path.of("/usr/bin/dig");
    private static final String NAME = "www.farm.test";
    private static final List<String> SERVERS = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
    private static final Process[] dnsmasq = new Process[SERVERS.size()];
    private static int dnsPort;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startServers() throws Exception {
        if (!Files.isExecutable(DNSMASQ) || !Files.isExecutable(DIG)) {
            return;
        }
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            dnsPort = s.getLocalPort();
        }
        for (int i = 0; i < SERVERS.size(); i++) {
            startServer(i);
        }
    }

    /** dnsmasq number {@code i} answers 10.53.0.(i+1) for the name, waited for until it answers. */
    private static void startServer(int i) throws Exception {
        dnsmasq[i] = new ProcessBuilder(DNSMASQ.toString(), "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + SERVERS.get(i),
                "--port=" + dnsPort, "--address=/" + NAME + "/10.53.0." + (i + 1),
                "--user=" + System.getProperty("user.name"), "--pid-file")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!dig(SERVERS.get(i), dnsPort).equals("10.53.0." + (i + 1))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("dnsmasq on " + SERVERS.get(i) + " did not answer within 10 s");
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stopServers() throws InterruptedException {
        for (Process p : dnsmasq) {
            if (p != null) {
                p.destroy();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void assumePeers() {
        assumeTrue(Files.isExecutable(DNSMASQ) && Files.isExecutable(DIG),
                "dnsmasq (dnsmasq-base) or dig (bind9-dnsutils) is absent: CI installs both");
    }

    /**
     * dig's short answer (the address) for the name from {@code server}:{@code port}; "" when none. A retry goes
     * out from the same source port, so through lbd it stays in its flow (on a loaded machine an answer may take
     * longer than dig's 1 s).
     */
    static String dig(String server, int port) throws IOException, InterruptedException {
        return dig(server, port, 0);
    }

    /** As above, from 127.0.0.1:{@code sourcePort} (0: a port of dig's choice). */
    static String dig(String server, int port, int sourcePort) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(DIG.toString(), "@" + server, "-p", String.valueOf(port),
                "+short", "+tries=3", "+time=1", NAME, "A"));
        if (sourcePort != 0) {
            command.addAll(List.of("-b", "127.0.0.1#" + sourcePort));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        p.waitFor(5, TimeUnit.SECONDS);
        return out.startsWith("10.53.") ? out : "";
    }

    private record Lbd(Director director, DirectorOps ops, List<Integer> vipPorts) implements AutoCloseable {
        int vipPort() {
            return vipPorts.getFirst();
        }

        @Override
        public void close() {
            try {
                ops.close();
            } finally {
                director.close();
            }
        }
    }

    private static Lbd start(TransportKind transport, String name) throws IOException {
        return start(transport, name, List.of(""));
    }

    /**
     * lbd with one DNS farm service per entry of {@code extraLines} (its own VIP port, those lines added to its
     * block), all on the three dnsmasq servers.
     */
    private static Lbd start(TransportKind transport, String name, List<String> extraLines) throws IOException {
        StringBuilder cf = new StringBuilder("""
                checkinterval=1
                negotiatetimeout=1
                quiescent=no
                """);
        List<Integer> vipPorts = new ArrayList<>();
        for (String extra : extraLines) {
            int vipPort;
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                vipPort = s.getLocalPort();
            }
            vipPorts.add(vipPort);
            cf.append("""

                    virtual=127.0.0.1:%d
                    \tprotocol=udp
                    \tscheduler=rr
                    \tservice=dns
                    \trequest="%s"
                    \treceive="^10\\.53\\."
                    """.formatted(vipPort, NAME)).append(extra);
            for (String server : SERVERS) {
                cf.append("\treal=").append(server).append(':').append(dnsPort).append(" masq\n");
            }
        }
        Path file = dir.resolve(name + ".cf");
        Files.writeString(file, cf);
        ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
        Director director = Director.start(config, transport.request(), 1);
        ConfigReloader reloader = new ConfigReloader(file, ConfigLoader::load, director::reload);
        DirectorOps ops = DirectorOps.start(director, reloader, dir.resolve(name + ".sock"), Optional.empty(),
                "lbd version test");
        return new Lbd(director, ops, vipPorts);
    }

    /**
     * The answers to {@code n} queries through the VIP, each from a source port of its own. Not dig's choice: the
     * kernel may give a later dig a port an earlier one just let go of, and that query then belongs to the earlier
     * one's flow (the same client address and port, as in IPVS), so it goes to the same server and breaks the round
     * robin the tests count (it did, once in a CI run: six queries, five flows). The ports are below the kernel's
     * ephemeral range, where nothing else is given one, and free when chosen.
     */
    private static List<String> ask(Lbd lbd, int n) throws IOException, InterruptedException {
        List<String> answers = new ArrayList<>();
        for (int port : freeSourcePorts(n)) {
            answers.add(dig("127.0.0.1", lbd.vipPort(), port));
        }
        return answers;
    }

    /** {@code n} distinct UDP ports on 127.0.0.1, from 20000-31999 (below ip_local_port_range), free now. */
    private static List<Integer> freeSourcePorts(int n) {
        Set<Integer> ports = new java.util.LinkedHashSet<>();
        java.util.Random random = new java.util.Random();
        while (ports.size() < n) {
            int port = 20_000 + random.nextInt(12_000);
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                ports.add(port);
            } catch (IOException inUse) {
                // another one
            }
        }
        return List.copyOf(ports);
    }

    private static String lbadm(Lbd lbd, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--socket", lbd.ops().socket().toString()));
        all.addAll(List.of(args));
        int status = LbadmMain.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(status).as("lbadm %s", String.join(" ", args)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void roundRobinAlternatesOverTheDnsServersOnEveryTransport() throws Exception {
        assumePeers();
        for (TransportKind transport : TransportKind.values()) {
            if (!NettyTransport.isAvailable(transport)) {
                continue;
            }
            try (Lbd lbd = start(transport, "rr-" + transport)) {
                List<String> answers = ask(lbd, 6);
                // Three servers in turn, twice: each address once in every three consecutive answers.
                assertThat(Set.copyOf(answers.subList(0, 3))).as("%s: %s", transport, answers)
                        .containsExactlyInAnyOrder("10.53.0.1", "10.53.0.2", "10.53.0.3");
                assertThat(answers.subList(3, 6)).as("%s", transport).isEqualTo(answers.subList(0, 3));

                String vip = "127.0.0.1:" + lbd.vipPort();
                String listing = lbadm(lbd, "-Ln");
                assertThat(listing.lines().toList()).contains("UDP  " + vip + " rr");
                assertThat(listing).doesNotContain("TCP  ");
                // Six flows from six source ports, UDP-style: InActConn, never ActiveConn.
                for (String server : SERVERS) {
                    assertThat(listing).contains(String.format("  -> %-28s Masq    1      0          2",
                            server + ":" + dnsPort));
                }
                assertThat(lbadm(lbd, "-Ln", "-u", vip).lines().toList()).contains("UDP  " + vip + " rr");
            }
        }
    }

    @Test
    void aStoppedServerLeavesAfterItsCheckFailsAndReturnsWhenItAnswers() throws Exception {
        assumePeers();
        try (Lbd lbd = start(TransportKind.NIO, "stop")) {
            assertThat(Set.copyOf(ask(lbd, 3))).hasSize(3);
            dnsmasq[1].destroy();
            dnsmasq[1].waitFor(5, TimeUnit.SECONDS);
            try {
                stoppedServerLeaves(lbd);
            } finally {
                if (!dnsmasq[1].isAlive()) {
                    startServer(1); // for the other tests, whatever happened
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Set<String> seen = new HashSet<>();
            while (!seen.contains("10.53.0.2") && System.nanoTime() < deadline) {
                seen.add(dig("127.0.0.1", lbd.vipPort()));
            }
            assertThat(seen).contains("10.53.0.2");
        }
    }

    /**
     * lbadm --set's udp timeout, as IPVS's: the flows of a service without idletimeout= take it at their next
     * datagram (and new ones at their first), idle past it they are gone from -Lnc and from InActConn; a service
     * with idletimeout= keeps its own.
     */
    @Test
    void theUdpTimeoutOfLbadmSetEndsFlowsOfServicesWithoutIdletimeoutOnly() throws Exception {
        assumePeers();
        try (Lbd lbd = start(TransportKind.NIO, "set", List.of("", "\tidletimeout=300\n"))) {
            int follows = lbd.vipPorts().get(0);
            int own = lbd.vipPorts().get(1);
            int clientA = freeUdpPort();
            int clientB = freeUdpPort();
            assertThat(dig("127.0.0.1", follows, clientA)).startsWith("10.53.");
            assertThat(dig("127.0.0.1", own, clientB)).startsWith("10.53.");
            String before = lbadm(lbd, "-Lnc");
            assertThat(before).containsPattern(flow("0[45]:\\d\\d", clientA, follows))
                    .containsPattern(flow("0[45]:\\d\\d", clientB, own));

            assertThat(lbadm(lbd, "--set", "0", "0", "2")).isEmpty();
            assertThat(lbadm(lbd, "-L", "--timeout")).isEqualTo("Timeout (tcp tcpfin udp): 900 120 2\n");
            // The next datagram of each flow: the first takes the new timeout, the second keeps its service's.
            assertThat(dig("127.0.0.1", follows, clientA)).startsWith("10.53.");
            assertThat(dig("127.0.0.1", own, clientB)).startsWith("10.53.");
            assertThat(lbadm(lbd, "-Lnc")).containsPattern(flow("00:0[0-2]", clientA, follows))
                    .containsPattern(flow("0[45]:\\d\\d", clientB, own));
            assertThat(inactive(lbd, follows)).isEqualTo(1);

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (lbadm(lbd, "-Lnc").contains("127.0.0.1:" + clientA + " ") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            String after = lbadm(lbd, "-Lnc");
            assertThat(after).doesNotContain("127.0.0.1:" + clientA + " ")
                    .containsPattern(flow("0[45]:\\d\\d", clientB, own));
            assertThat(inactive(lbd, follows)).isZero();
            assertThat(inactive(lbd, own)).isEqualTo(1);
        }
    }

    /** A -Lnc line of a UDP flow from 127.0.0.1:{@code client} to the VIP port, expiring as {@code expire} says. */
    private static String flow(String expire, int client, int vipPort) {
        return "(?m)^UDP " + expire + "  UDP\\s+127\\.0\\.0\\.1:" + client + "\\s+127\\.0\\.0\\.1:" + vipPort + "\\s";
    }

    /** InActConn of a UDP service, summed over its real servers (lbadm -Ln -u). */
    private static int inactive(Lbd lbd, int vipPort) {
        return lbadm(lbd, "-Ln", "-u", "127.0.0.1:" + vipPort).lines().filter(l -> l.matches("  -> \\d.*"))
                .mapToInt(l -> Integer.parseInt(l.trim().split("\\s+")[5])).sum();
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    private static void stoppedServerLeaves(Lbd lbd) throws Exception {
        {
            // Until its check fails, a query may go to it and time out; after, every answer is from the others.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (lbadm(lbd, "-Ln").contains("  -> 127.0.0.3:") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(lbadm(lbd, "-Ln")).doesNotContain("  -> 127.0.0.3:").contains("-- 127.0.0.3:" + dnsPort
                    + " held out of the table by its health check: negotiate: Connection timed out");
            assertThat(ask(lbd, 4)).containsOnly("10.53.0.1", "10.53.0.3");
        }
    }
}
