package lbd.director.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local ports running out towards one real server, made small on purpose: the director's namespace has
 * net.ipv4.ip_local_port_range of 4 ports. A client holds its connections open. With sourceaddress= of two addresses,
 * 8 connections are served, 4 from each address; the 9th finds no free port from the first address, moves to the
 * second (one warning line saying so), finds none there either and is reset. Without sourceaddress= the director's
 * own address serves 4. However many connects found no port, the warning is one line per 10 s (one for the six here,
 * unless this machine took longer than 10 s for them). On epoll and io_uring.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PortExhaustionNamespaceTest {

    private static final String PREFIX = "lbt-ports-" + ProcessHandle.current().pid() + "-";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String REAL = PREFIX + "rs";
    private static final String VIP = "198.18.4.1";
    private static final String RIP = "198.18.5.2";
    private static final String SOURCE_1 = "198.18.5.11";
    private static final String SOURCE_2 = "198.18.5.12";

    // A real server on ports 9000 and 9100 that greets each connection with its peer's address and holds it open.
    private static final String HOLD = String.join("\n",
            "import socket, threading",
            "def serve(c, a):",
            "    c.sendall(('hi %s\\n' % a[0]).encode())",
            "    try:",
            "        while c.recv(100): pass",
            "    except OSError: pass",
            "    c.close()",
            "def listen(port):",
            "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "    s.bind(('0.0.0.0', port)); s.listen(64)",
            "    while True:",
            "        c, a = s.accept(); threading.Thread(target=serve, args=(c, a), daemon=True).start()",
            "threading.Thread(target=listen, args=(9100,), daemon=True).start()",
            "listen(9000)",
            "");
    // A client that opens N connections one after the other to VIP:PORT, keeping each open, and prints each greeting
    // (or "failed") — all are closed when it exits.
    private static final String CLIENT_SCRIPT = String.join("\n",
            "import socket, sys",
            "held = []",
            "for i in range(int(sys.argv[2])):",
            "    c = socket.socket(); c.settimeout(10)",
            "    try:",
            "        c.connect(('" + VIP + "', int(sys.argv[1])))",
            "        line = c.recv(100).decode().strip()",
            "        print(line if line else 'failed', flush=True)",
            "    except OSError as e:",
            "        print('failed', flush=True)",
            "    held.append(c)",
            "");

    @TempDir
    static Path dir;

    private static Process realServer;
    private static Path clientScript;

    @BeforeAll
    static void cable() throws Exception {
        assumeTrue(Shell.isRoot(), "network namespaces need root; skipped");
        Shell.deleteNamespaces(PREFIX);
        for (String ns : List.of(CLIENT, DIRECTOR, REAL)) {
            Shell.run(List.of("ip", "netns", "add", ns)).assertOk("ip netns add " + ns);
            Shell.inNetns(ns, "ip", "link", "set", "lo", "up").assertOk("lo up");
        }
        link(CLIENT, "c0", "198.18.4");
        link(REAL, "r0", "198.18.5");
        for (String source : List.of(SOURCE_1, SOURCE_2)) {
            Shell.inNetns(DIRECTOR, "ip", "addr", "add", source + "/24", "dev", "r0").assertOk("source address");
        }
        Shell.inNetns(DIRECTOR, "sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40003").assertOk("port range");
        Path hold = Files.writeString(dir.resolve("hold.py"), HOLD);
        clientScript = Files.writeString(dir.resolve("client.py"), CLIENT_SCRIPT);
        realServer = new ProcessBuilder("ip", "netns", "exec", REAL, "python3", hold.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("hold.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Shell.inNetns(REAL, "sh", "-c", "ss -ltn | grep -q ':9100 '").exitCode() != 0) {
            if (!realServer.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the real server does not listen: " + Files.readString(dir.resolve("hold.log")));
            }
            Thread.sleep(100);
        }
    }

    /** A veth pair from {@code ns} (eth0, NET.2, default route via NET.1) to the director ({@code side}, NET.1). */
    private static void link(String ns, String side, String net) {
        Shell.run(List.of("ip", "-n", DIRECTOR, "link", "add", side, "type", "veth", "peer", "name", "eth0", "netns",
                ns)).assertOk("veth " + side);
        Shell.inNetns(DIRECTOR, "ip", "addr", "add", net + ".1/24", "dev", side).assertOk("addr");
        Shell.inNetns(DIRECTOR, "ip", "link", "set", side, "up").assertOk("up");
        Shell.inNetns(ns, "ip", "addr", "add", net + ".2/24", "dev", "eth0").assertOk("addr");
        Shell.inNetns(ns, "ip", "link", "set", "eth0", "up").assertOk("up");
        Shell.inNetns(ns, "ip", "route", "add", "default", "via", net + ".1").assertOk("default route");
    }

    @AfterAll
    static void unplug() {
        if (realServer != null) {
            realServer.destroyForcibly();
        }
        Shell.deleteNamespaces(PREFIX);
    }

    @Test
    void sourceAddressesEachGiveTheirPortsAndRunningOutIsOneLine() throws Exception {
        // Each transport towards its own real-server port: the first run's closed connections stay in TIME_WAIT.
        for (String transport : List.of("epoll", "io_uring")) {
            int realPort = transport.equals("epoll") ? 9000 : 9100;
            Path run = Files.createDirectories(dir.resolve(transport));
            Path config = Files.writeString(run.resolve("ldirectord.cf"), """
                    transport=%s
                    eventloops=1
                    virtual=%s:9001
                    \treal=%s:%d masq
                    \tchecktype=on
                    virtual=%2$s:9002
                    \treal=%3$s:%4$d masq
                    \tchecktype=on
                    \tsourceaddress=%s,%s
                    """.formatted(transport, VIP, RIP, realPort, SOURCE_1, SOURCE_2));
            Path log = run.resolve("lbd.log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process lbd = new ProcessBuilder("ip", "netns", "exec", DIRECTOR, java,
                    "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp, "lbd.director.cli.LbdMain",
                    "--config", config.toString(), "--socket", run.resolve("lbd.sock").toString(),
                    "--warmup=no")
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                awaitListening(lbd, log, 9002);

                long began = System.nanoTime();
                List<String> withSources = connect(9002, 10);
                assertThat(withSources.subList(0, 8)).as("%s: %s", transport, withSources)
                        .filteredOn(l -> l.equals("hi " + SOURCE_1)).hasSize(4);
                assertThat(withSources.subList(0, 8)).filteredOn(l -> l.equals("hi " + SOURCE_2)).hasSize(4);
                assertThat(withSources.subList(8, 10)).containsOnly("failed");

                List<String> own = connect(9001, 6);
                long tookSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
                assertThat(own).as("%s: %s", transport, own).containsExactly("hi 198.18.5.1", "hi 198.18.5.1",
                        "hi 198.18.5.1", "hi 198.18.5.1", "failed", "failed");

                String text = Files.readString(log);
                Matcher warnings = Pattern.compile("no local port free").matcher(text);
                int lines = 0;
                while (warnings.find()) {
                    lines++;
                }
                // Six connects found no port (two per reset client of :9002, one per client of :9001): one line per
                // 10 s, however long this machine took for them.
                assertThat(lines).as("one line per 10 s for 6 connects without a port in %d s: %s", tookSeconds, text)
                        .isBetween(1, 1 + (int) (tookSeconds / 10));
                assertThat(text).contains("TCP " + VIP + ":9002: no local port free to connect from " + SOURCE_1
                        + " to real server " + RIP + ":" + realPort + " (every port of net.ipv4.ip_local_port_range,"
                        + " 40000-40003, is in use towards it, TIME_WAIT included, or the address is not this host's):"
                        + " trying source address " + SOURCE_2 + " instead");
                assertThat(text).doesNotContain("Exception");
            } finally {
                lbd.destroy();
                if (!lbd.waitFor(20, TimeUnit.SECONDS)) {
                    lbd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Opens {@code count} connections to VIP:port from the client namespace, all held until the last; each greeting. */
    private static List<String> connect(int port, int count) {
        Shell.Result r = Shell.inNetns(CLIENT, "python3", clientScript.toString(), Integer.toString(port),
                Integer.toString(count)).assertOk("client");
        return new ArrayList<>(List.of(r.output().strip().split("\n")));
    }

    private static void awaitListening(Process lbd, Path log, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Shell.inNetns(DIRECTOR, "sh", "-c", "ss -ltn | grep -q ':" + port + " '").exitCode() != 0
                || !Files.readString(log).contains("lbd running with")) {
            if (!lbd.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("lbd does not listen on " + port + ": " + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }
}
