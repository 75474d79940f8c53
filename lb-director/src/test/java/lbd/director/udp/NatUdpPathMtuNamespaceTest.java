package lbd.director.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Datagrams larger than the client's path MTU through a NAT UDP VIP, whole both ways: the client's link has an MTU
 * of 1280 (the real server's 1500), and the real server answers 1,400, 8,000 and 65,507 bytes (the largest UDP
 * payload over IPv4) to a short request, and echoes a 65,507-byte request. lbd reads each datagram whole (its
 * receive buffers are a whole datagram's) and sends it whole; the kernels fragment it for the links and reassemble it
 * (the client's namespace counts the reassemblies). lbd --config in its own namespace, on epoll, io_uring and NIO;
 * the real server and the client are small Python UDP programs (dnsmasq answers at most about 1 KiB over UDP from
 * its own records, whatever the EDNS size asked, so it cannot send a reply past the MTU).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS) // three lbd processes started one after another
class NatUdpPathMtuNamespaceTest {

    private static final String PREFIX = "lbt-udpmtu-" + ProcessHandle.current().pid() + "-";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String REAL = PREFIX + "rs";
    private static final String VIP = "198.18.6.1";
    private static final String RIP = "198.18.7.2";
    private static final int VIP_PORT = 5353;
    private static final int REAL_PORT = 5300;
    private static final int LARGEST = 65_507;

    // A real server: "size N" gets N bytes of a known pattern back; anything else is echoed.
    private static final String SERVER = String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)",
            "s.bind(('0.0.0.0', " + REAL_PORT + "))",
            "while True:",
            "    d, a = s.recvfrom(70000)",
            "    if d.startswith(b'size '):",
            "        n = int(d[5:])",
            "        s.sendto(bytes(i % 251 for i in range(n)), a)",
            "    else:",
            "        s.sendto(d, a)",
            "");
    // The client: asks for each size, then sends the largest datagram to be echoed; one line per answer.
    private static final String CLIENT_SCRIPT = String.join("\n",
            "import socket, sys",
            "c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)",
            "c.settimeout(10)",
            "to = ('" + VIP + "', " + VIP_PORT + ")",
            "for n in (1400, 8000, " + LARGEST + "):",
            "    c.sendto(b'size %d' % n, to)",
            "    d, a = c.recvfrom(70000)",
            "    print('reply %d %d %s from %s:%d' % (n, len(d), d == bytes(i % 251 for i in range(n)), a[0], a[1]))",
            "big = bytes((i * 7) % 256 for i in range(" + LARGEST + "))",
            "c.sendto(big, to)",
            "d, a = c.recvfrom(70000)",
            "print('echo %d %s' % (len(d), d == big))",
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
        link(CLIENT, "c0", "198.18.6", 1280);
        link(REAL, "r0", "198.18.7", 1500);
        Path server = Files.writeString(dir.resolve("server.py"), SERVER);
        clientScript = Files.writeString(dir.resolve("client.py"), CLIENT_SCRIPT);
        realServer = new ProcessBuilder("ip", "netns", "exec", REAL, "python3", server.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Shell.inNetns(REAL, "sh", "-c", "ss -lun | grep -q ':" + REAL_PORT + " '").exitCode() != 0) {
            if (!realServer.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the real server does not listen: "
                        + Files.readString(dir.resolve("server.log")));
            }
            Thread.sleep(100);
        }
    }

    /** A veth pair of {@code mtu} from {@code ns} (eth0, NET.2, default route via NET.1) to the director (NET.1). */
    private static void link(String ns, String side, String net, int mtu) {
        Shell.run(List.of("ip", "-n", DIRECTOR, "link", "add", side, "mtu", String.valueOf(mtu), "type", "veth",
                "peer", "name", "eth0", "mtu", String.valueOf(mtu), "netns", ns)).assertOk("veth " + side);
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
    void repliesAndRequestsLargerThanTheClientsMtuArriveWholeOnEveryTransport() throws Exception {
        assertThat(Shell.inNetns(CLIENT, "cat", "/sys/class/net/eth0/mtu").output().strip()).isEqualTo("1280");
        for (String transport : List.of("epoll", "io_uring", "nio")) {
            Path run = Files.createDirectories(dir.resolve(transport));
            Path config = Files.writeString(run.resolve("ldirectord.cf"), """
                    transport=%s
                    eventloops=1
                    virtual=%s:%d
                    \tprotocol=udp
                    \treal=%s:%d masq
                    \tchecktype=on
                    """.formatted(transport, VIP, VIP_PORT, RIP, REAL_PORT));
            Path log = run.resolve("lbd.log");
            Process lbd = startLbd(config, run, log);
            try {
                awaitListening(lbd, log);
                long reassembledBefore = clientReassemblies();

                List<String> lines = Shell.inNetns(CLIENT, "python3", clientScript.toString())
                        .assertOk("client over " + transport).output().strip().lines().toList();

                String from = VIP + ":" + VIP_PORT;
                assertThat(lines).as("%s", transport).containsExactly(
                        "reply 1400 1400 True from " + from,
                        "reply 8000 8000 True from " + from,
                        "reply " + LARGEST + " " + LARGEST + " True from " + from,
                        "echo " + LARGEST + " True");
                // Each reply (and the echo) came over the 1280-byte link in fragments, put together by the client's
                // kernel: lbd sent every datagram whole.
                assertThat(clientReassemblies() - reassembledBefore).as("%s", transport).isGreaterThanOrEqualTo(4);
                assertThat(Files.readString(log)).doesNotContain("Exception");
            } finally {
                lbd.destroy();
                if (!lbd.waitFor(20, TimeUnit.SECONDS)) {
                    lbd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** IP datagrams the client's namespace reassembled from fragments (/proc/net/snmp's Ip ReasmOKs). */
    private static long clientReassemblies() {
        List<String> ip = Shell.inNetns(CLIENT, "cat", "/proc/net/snmp").assertOk("snmp").output().lines()
                .filter(l -> l.startsWith("Ip: ")).toList();
        List<String> names = List.of(ip.get(0).split("\\s+"));
        return Long.parseLong(ip.get(1).split("\\s+")[names.indexOf("ReasmOKs")]);
    }

    private static Process startLbd(Path config, Path run, Path log) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ProcessBuilder("ip", "netns", "exec", DIRECTOR, java, "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-cp", cp, "lbd.director.cli.LbdMain", "--config", config.toString(), "--socket",
                run.resolve("lbd.sock").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static void awaitListening(Process lbd, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Shell.inNetns(DIRECTOR, "sh", "-c", "ss -lun | grep -q ':" + VIP_PORT + " '").exitCode() != 0
                || !Files.readString(log).contains("lbd running with")) {
            if (!lbd.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("lbd does not listen on " + VIP_PORT + ": " + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }
}
