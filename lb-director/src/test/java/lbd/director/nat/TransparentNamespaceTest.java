package lbd.director.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * transparent=yes across network namespaces, as an LVS-NAT site is cabled: a client namespace (two IPv4 addresses
 * and an IPv6 one), a director namespace running lbd (its own process), and two real-server namespaces whose default
 * routes lead to the director, each with a real nginx logging {@code $remote_addr}. lbd first refuses to start,
 * naming the missing routing piece; after scripts/nat-director-setup.sh start it serves, and on epoll and io_uring:
 * each real server logs the client namespace's own addresses (IPv4 and IPv6), rr alternates, persistence and sh keep
 * each client address on one real server, and an 8 MiB download arrives intact; a udp service's real servers see
 * the client's address too.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TransparentNamespaceTest {

    private static final String PREFIX = "lbt-tproxy-" + ProcessHandle.current().pid() + "-";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String[] REALS = {PREFIX + "rs1", PREFIX + "rs2"};
    private static final String CLIENT_A = "198.18.1.2";
    private static final String CLIENT_B = "198.18.1.3";
    private static final String CLIENT_6 = "2001:db8:1::2";
    private static final String VIP = "198.18.1.1";
    private static final String VIP6 = "2001:db8:1::1";
    private static final int BIG = 8 << 20;

    @TempDir
    static Path dir;

    // A UDP real server on port 5353: answers each datagram with its name and the address it came from.
    private static final String UDP_SERVER = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5353))",
            "while True:",
            "    data, peer = s.recvfrom(512)",
            "    s.sendto(('%s %s' % (sys.argv[1], peer[0])).encode(), peer)",
            "");
    // The UDP client: N datagrams to VIP:53 from ADDRESS, each from a socket of its own (so a flow of its own),
    // printing each answer.
    private static final String UDP_CLIENT = String.join("\n",
            "import socket, sys",
            "for i in range(int(sys.argv[2])):",
            "    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(10); c.bind((sys.argv[1], 0))",
            "    c.sendto(b'who', ('" + VIP + "', 53))",
            "    print(c.recvfrom(512)[0].decode(), flush=True)",
            "");

    private static final List<Nginx> nginx = new ArrayList<>();
    private static final List<Process> udpServers = new ArrayList<>();
    private static Path udpClient;
    private static String bigSha256;
    private static String setupScript;
    private static boolean routingUp;

    @BeforeAll
    static void cable() throws Exception {
        assumeTrue(Shell.isRoot(), "network namespaces need root; skipped");
        Nginx.assumeInstalled();
        assumeTrue(Shell.run(List.of("sh", "-c", "command -v nft")).exitCode() == 0,
                "nft is not installed (apt-get install nftables)");
        Shell.deleteNamespaces(PREFIX);
        setupScript = Shell.script("nat-director-setup.sh").toString();
        for (String ns : List.of(CLIENT, DIRECTOR, REALS[0], REALS[1])) {
            Shell.run(List.of("ip", "netns", "add", ns)).assertOk("ip netns add " + ns);
            Shell.inNetns(ns, "ip", "link", "set", "lo", "up").assertOk("lo up");
        }
        link(CLIENT, "c0", "198.18.1", "2001:db8:1");
        link(REALS[0], "r1", "198.18.2", "2001:db8:2");
        link(REALS[1], "r2", "198.18.3", "2001:db8:3");

        Path udpServer = Files.writeString(dir.resolve("udp-server.py"), UDP_SERVER);
        udpClient = Files.writeString(dir.resolve("udp-client.py"), UDP_CLIENT);
        for (int i = 0; i < 2; i++) {
            udpServers.add(new ProcessBuilder("ip", "netns", "exec", REALS[i], "python3", udpServer.toString(),
                    "rs" + (i + 1)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        byte[] big = new byte[BIG];
        new Random(14).nextBytes(big);
        bigSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));
        for (int i = 0; i < 2; i++) {
            Path root = Files.createDirectories(dir.resolve("www" + (i + 1)));
            Files.write(root.resolve("big"), big);
            nginx.add(Nginx.start(dir.resolve("nginx" + (i + 1)), REALS[i], """
                    server {
                        listen 80;
                        listen [::]:80;
                        access_log %s client;
                        root %s;
                        location = /big { }
                        location / { return 200 "rs%d\\n"; }
                    }
                    """.formatted(dir.resolve("nginx" + (i + 1)).resolve("access.log"), root, i + 1)));
        }
    }

    /**
     * A veth pair from namespace {@code ns} (eth0, .2 / ::2, default route via the director) to the director
     * ({@code directorSide}, .1 / ::1).
     */
    private static void link(String ns, String directorSide, String net4, String net6) {
        Shell.run(List.of("ip", "-n", DIRECTOR, "link", "add", directorSide, "type", "veth", "peer", "name", "eth0",
                "netns", ns)).assertOk("veth " + directorSide);
        Shell.inNetns(DIRECTOR, "ip", "addr", "add", net4 + ".1/24", "dev", directorSide).assertOk("addr");
        Shell.inNetns(DIRECTOR, "ip", "addr", "add", net6 + "::1/64", "dev", directorSide, "nodad").assertOk("addr6");
        Shell.inNetns(DIRECTOR, "ip", "link", "set", directorSide, "up").assertOk("up");
        Shell.inNetns(ns, "ip", "addr", "add", net4 + ".2/24", "dev", "eth0").assertOk("addr");
        Shell.inNetns(ns, "ip", "addr", "add", net6 + "::2/64", "dev", "eth0", "nodad").assertOk("addr6");
        Shell.inNetns(ns, "ip", "link", "set", "eth0", "up").assertOk("up");
        Shell.inNetns(ns, "ip", "route", "add", "default", "via", net4 + ".1").assertOk("default route");
        Shell.inNetns(ns, "ip", "-6", "route", "add", "default", "via", net6 + "::1").assertOk("default route6");
        if (ns.equals(CLIENT)) {
            Shell.inNetns(ns, "ip", "addr", "add", CLIENT_B + "/24", "dev", "eth0").assertOk("second address");
        }
    }

    @AfterAll
    static void unplug() {
        nginx.forEach(Nginx::close);
        udpServers.forEach(Process::destroyForcibly);
        if (routingUp) {
            Shell.inNetns(DIRECTOR, setupScript, "stop");
        }
        Shell.deleteNamespaces(PREFIX);
    }

    @Test
    void realServersSeeTheClientsOwnAddressesOnEpollAndIoUring() throws Exception {
        // Without the director's routing for the replies, lbd refuses to start and says what is missing.
        Lbd refused = Lbd.start(dir.resolve("refused"), "epoll");
        assertThat(refused.process.waitFor(60, TimeUnit.SECONDS)).as("lbd exits").isTrue();
        assertThat(refused.process.exitValue()).isEqualTo(1);
        assertThat(refused.log()).contains("lbd could not start: transparent=yes (TCP 198.18.1.1:80,")
                .contains("no IPv4 policy rule 'fwmark MARK lookup TABLE'")
                .contains("run scripts/nat-director-setup.sh start");

        Shell.inNetns(DIRECTOR, setupScript, "start").assertOk("nat-director-setup.sh start");
        routingUp = true;
        for (String transport : List.of("epoll", "io_uring")) {
            try (Lbd lbd = Lbd.start(dir.resolve(transport), transport)) {
                awaitAllUp(lbd, 8); // two real servers in each of the four services
                awaitServing(lbd, VIP, 80);
                awaitServing(lbd, "[" + VIP6 + "]", 80);
                servesTransparently(transport);
                assertThat(lbd.log()).doesNotContain("Exception").doesNotContain("WARN");
            }
        }
    }

    private void servesTransparently(String transport) throws Exception {
        // rr on :80 alternates, and each real server logs the client's own address (IPv4 and IPv6).
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.add(get(CLIENT_A, VIP, 80, "/rr-" + transport));
        }
        assertThat(answers).containsExactlyInAnyOrder("rs1", "rs1", "rs2", "rs2");
        for (Nginx n : nginx) {
            assertThat(n.accessLines()).filteredOn(l -> l.endsWith(" /rr-" + transport))
                    .containsExactly("- " + CLIENT_A + " /rr-" + transport, "- " + CLIENT_A + " /rr-" + transport);
        }
        assertThat(get(CLIENT_B, VIP, 80, "/b-" + transport)).isIn("rs1", "rs2");
        assertThat(logged("/b-" + transport)).containsExactly("- " + CLIENT_B + " /b-" + transport);
        for (int i = 0; i < 2; i++) {
            assertThat(get(CLIENT_6, "[" + VIP6 + "]", 80, "/v6-" + transport)).isIn("rs1", "rs2");
        }
        assertThat(logged("/v6-" + transport)).containsExactly("- " + CLIENT_6 + " /v6-" + transport,
                "- " + CLIENT_6 + " /v6-" + transport);

        // Persistence (:8080) and sh (:8081) keep each client address on one real server.
        for (int port : new int[] {8080, 8081}) {
            for (String client : List.of(CLIENT_A, CLIENT_B)) {
                List<String> servers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    servers.add(get(client, VIP, port, "/" + port + "-" + client + "-" + transport));
                }
                assertThat(servers).as("%s from %s", port, client).containsOnly(servers.getFirst());
                assertThat(logged("/" + port + "-" + client + "-" + transport)).hasSize(4)
                        .allSatisfy(line -> assertThat(line).startsWith("- " + client + " "));
            }
        }

        // UDP: each flow's datagrams reach a real server from the client's address, rr alternating per flow.
        Shell.Result udp = Shell.inNetns(CLIENT, "python3", udpClient.toString(), CLIENT_A, "4")
                .assertOk("udp client");
        assertThat(udp.output().strip().split("\n")).as(transport).containsExactlyInAnyOrder("rs1 " + CLIENT_A,
                "rs1 " + CLIENT_A, "rs2 " + CLIENT_A, "rs2 " + CLIENT_A);

        // 8 MiB through the transparent connection (spliced on epoll), byte for byte.
        Shell.Result sha = Shell.inNetns(CLIENT, "sh", "-c", "curl -sf --max-time 60 --interface " + CLIENT_A
                + " http://" + VIP + "/big | sha256sum").assertOk("download");
        assertThat(sha.output().strip()).startsWith(bigSha256);
        assertThat(logged("/big")).isNotEmpty().allSatisfy(line -> assertThat(line).startsWith("- " + CLIENT_A));
    }

    /** Every real server's access-log lines ending with {@code path}. */
    private static List<String> logged(String path) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Nginx n : nginx) {
            n.accessLines().stream().filter(l -> l.endsWith(" " + path)).forEach(lines::add);
        }
        return lines;
    }

    /** One GET from the client namespace's {@code source} address; the body (a real server's name). */
    private static String get(String source, String host, int port, String path) {
        Shell.Result r = Shell.inNetns(CLIENT, "curl", "-sf", "--max-time", "10", "--interface", source,
                "http://" + host + ":" + port + path);
        return r.exitCode() == 0 ? r.output().strip() : "curl failed (" + r.exitCode() + "): " + r.output();
    }

    /** Until lbd has logged the first verdict "up" of {@code servers} real servers, bounded; its log on failure. */
    private static void awaitAllUp(Lbd lbd, int servers) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lbd.log().split(" up: ", -1).length - 1 < servers) {
            if (!lbd.process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("not every real server is up: " + lbd.log());
            }
            Thread.sleep(200);
        }
    }

    /** Until lbd answers on host:port (its real servers checked up), bounded; lbd's log on failure. */
    private static void awaitServing(Lbd lbd, String host, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Shell.Result r = Shell.inNetns(CLIENT, "curl", "-sf", "--max-time", "2", "http://" + host + ":" + port
                    + "/ready");
            if (r.exitCode() == 0) {
                return;
            }
            if (!lbd.process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("lbd does not serve " + host + ":" + port + ": " + lbd.log());
            }
            Thread.sleep(200);
        }
    }

    /**
     * lbd run in the director namespace on its own configuration, logging to a file. The udp service's flows end 2 s
     * after their datagrams (idletimeout=2, where IPVS's default is 300 s): lbd's stop drains open flows as it does
     * connections, for up to 10 s, and the test's flows would hold each of its two stops that long.
     */
    private record Lbd(Process process, Path logFile) implements AutoCloseable {

        static Lbd start(Path dir, String transport) throws IOException {
            Files.createDirectories(dir);
            Path config = dir.resolve("ldirectord.cf");
            String reals = "\treal=198.18.2.2:80 masq\n\treal=198.18.3.2:80 masq\n";
            Files.writeString(config, """
                    checkinterval=1
                    checktimeout=2
                    quiescent=no
                    transport=%s
                    eventloops=1

                    virtual=%s:80
                    %s\tscheduler=rr
                    \tservice=http
                    \trequest="/check"
                    \treceive="rs"
                    \ttransparent=yes
                    virtual=%2$s:8080
                    %3$s\tscheduler=rr
                    \tpersistent=300
                    \tchecktype=connect
                    \ttransparent=yes
                    virtual=%2$s:8081
                    %3$s\tscheduler=sh
                    \tchecktype=connect
                    \ttransparent=yes
                    virtual=%2$s:53
                    \treal=198.18.2.2:5353 masq
                    \treal=198.18.3.2:5353 masq
                    \tprotocol=udp
                    \tscheduler=rr
                    \tchecktype=on
                    \tidletimeout=2
                    \ttransparent=yes
                    virtual6=[%s]:80
                    \treal6=[2001:db8:2::2]:80 masq
                    \treal6=[2001:db8:3::2]:80 masq
                    \tscheduler=rr
                    \tchecktype=connect
                    \ttransparent=yes
                    """.formatted(transport, VIP, reals, VIP6));
            Path log = dir.resolve("lbd.log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process process = new ProcessBuilder("ip", "netns", "exec", DIRECTOR, java,
                    "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp, "lbd.director.cli.LbdMain",
                    "--config", config.toString(), "--socket", dir.resolve("lbd.sock").toString(),
                    "--warmup=no")
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            return new Lbd(process, log);
        }

        String log() throws IOException {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
