package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lbd.dataplane.dr.Shell;
import lbd.director.cli.LbadmMain;
import lbd.director.cli.LbdMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The classic LVS sorry server in direct routing, in network namespaces: {@code fallback=127.0.0.1:80 gate} with
 * a web server on the director itself (python3 -m http.server on 0.0.0.0:80). While the only real server VM2 is
 * down, the client's connections to the VIP are answered by the director's own server (IPVS's local node: lbd
 * hands them to the director's stack through its lbd-local device); once VM2 is up, new connections go to it;
 * when it fails again, the sorry server answers again. A 4 MB upload to a second such service reaches the director's
 * own sink whole (coalesced frames with offloaded checksums are handed over with their offload state). The director's kernel never takes the VIP from the wire
 * (it is not local there) and lbd leaves no rule behind when it stops.
 */
@Timeout(180)
class DrLocalFallbackTest {

    private static final String PREFIX = "lbt-i21fb-";
    private static final String SW = PREFIX + "sw";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String VM2 = PREFIX + "vm2";
    private static final String VIP = "198.18.0.60";
    private static final String DIRECTOR_IP = "198.18.0.61";
    private static final String VM2_IP = "198.18.0.62";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);
    private static final int UPLOAD = 4_000_000;

    // A TCP sink on port 9000 of the director: reads until the client shuts down its half, answers the byte count.
    private static final String SINK = String.join("\n",
            "import socket",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', 9000)); s.listen(8)",
            "while True:",
            "    c, _ = s.accept(); n = 0",
            "    while True:",
            "        b = c.recv(65536)",
            "        if not b: break",
            "        n += len(b)",
            "    c.sendall(('director got %d' % n).encode()); c.close()",
            "");
    // The client's TCP sends coalesced (TSO) frames with checksums left to the hardware: the director's stack
    // must get them whole and checked.
    private static final String UPLOADER = String.join("\n",
            "import socket",
            "c = socket.create_connection(('" + VIP + "', 9000), timeout=10)",
            "c.sendall(b'x' * " + UPLOAD + "); c.shutdown(socket.SHUT_WR)",
            "print(c.recv(100).decode()); c.close()",
            "");

    private final List<Process> processes = new ArrayList<>();
    private Path tmp;

    @Test
    void theDirectorsOwnServerAnswersWhileEveryRealServerIsDown() throws Exception {
        assumeTrue(Shell.isRoot(), "DrLocalFallbackTest needs root (network namespaces, AF_PACKET, tun); skipped");
        Shell.netnsLab("clean", PREFIX);
        String vipSetup = Shell.script("vip-setup.sh").toString();
        tmp = Files.createTempDirectory("lbt-i21fb");
        Path socket = tmp.resolve("lbd.sock");
        Path config = tmp.resolve("ldirectord.cf");
        Path log = tmp.resolve("ldirectord.log");
        boolean passed = false;
        try {
            Shell.netnsLab("switch", SW);
            Shell.netnsLab("host", SW, CLIENT, "198.18.0.1/24");
            Shell.netnsLab("host", SW, DIRECTOR, DIRECTOR_IP + "/24");
            Shell.netnsLab("host", SW, VM2, VM2_IP + "/24");
            Shell.inNetns(VM2, vipSetup, "--iface", "eth0", "start", VIP).assertOk("vip-setup on VM2");
            Path vm2Root = Files.createDirectories(tmp.resolve("vm2"));
            Files.writeString(vm2Root.resolve("index.html"), "This is VM2\n");
            Files.writeString(vm2Root.resolve("test.html"), "foo\n");
            Path sorryRoot = Files.createDirectories(tmp.resolve("sorry"));
            Files.writeString(sorryRoot.resolve("index.html"), "Sorry, the director answers\n");
            startHttpd(DIRECTOR, sorryRoot);
            Path sink = Files.writeString(tmp.resolve("sink.py"), SINK);
            Path uploader = Files.writeString(tmp.resolve("upload.py"), UPLOADER);
            processes.add(new ProcessBuilder("ip", "netns", "exec", DIRECTOR, "python3", sink.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());

            Files.writeString(config, String.join("\n",
                    "checktimeout=2",
                    "checkinterval=1",
                    "autoreload=no",
                    "logfile=\"" + log + "\"",
                    "quiescent=no",
                    "eventloops=1",
                    "interface=eth0",
                    "virtual=" + VIP + ":80",
                    " real=" + VM2_IP + ":80 gate",
                    " fallback=127.0.0.1:80 gate",
                    " service=http",
                    " request=\"test.html\"",
                    " receive=\"foo\"",
                    " scheduler=rr",
                    " protocol=tcp",
                    " checktype=negotiate",
                    "virtual=" + VIP + ":9000",
                    " real=" + VM2_IP + ":9000 gate",
                    " fallback=127.0.0.1:9000 gate",
                    " scheduler=rr",
                    " protocol=tcp",
                    " checktype=connect",
                    ""));

            Process lbd = startLbd(config, socket);
            await("the sorry server answers through the VIP").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(500))
                    .until(() -> lbd.isAlive() && curl().equals("Sorry, the director answers"));
            assertThat(curls(4)).containsOnly("Sorry, the director answers");
            assertThat(Shell.inNetns(CLIENT, "python3", uploader.toString()).assertOk("upload").output().strip())
                    .isEqualTo("director got " + UPLOAD);
            assertThat(Shell.inNetns(DIRECTOR, "ip", "route", "get", VIP, "from", "198.18.0.1", "iif", "eth0")
                    .output()).as("the VIP is not local to the director's kernel on the wire")
                    .doesNotContain("local");

            Process vm2 = startHttpd(VM2, vm2Root);
            await("VM2 in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> listing(socket).contains("-> " + VM2_IP + ":80"));
            assertThat(curls(4)).containsOnly("This is VM2");

            vm2.destroy();
            assertThat(vm2.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await("VM2 out of the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !listing(socket).contains("-> " + VM2_IP + ":80"));
            assertThat(curls(2)).containsOnly("Sorry, the director answers");

            lbd.destroy();
            assertThat(lbd.waitFor(30, TimeUnit.SECONDS)).as("lbd stops on SIGTERM").isTrue();
            assertThat(Shell.inNetns(DIRECTOR, "ip", "rule").output()).doesNotContain("lbd-local");
            assertThat(Shell.inNetns(DIRECTOR, "ip", "link", "show", "lbd-local").exitCode()).isNotZero();
            passed = true;
        } finally {
            if (!passed && Files.exists(log)) {
                System.err.println("---- lbd's log ----\n" + Files.readString(log));
            }
            if (!passed && Files.exists(tmp.resolve("lbd.out"))) {
                System.err.println("---- lbd's output ----\n" + Files.readString(tmp.resolve("lbd.out")));
            }
            processes.forEach(Process::destroy);
            for (Process p : processes) {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            Shell.inNetns(VM2, vipSetup, "stop");
            Shell.netnsLab("clean", PREFIX);
            try (Stream<Path> files = Files.walk(tmp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String curl() {
        return Shell.inNetns(CLIENT, "curl", "-s", "--max-time", "3", "http://" + VIP + "/index.html").output().strip();
    }

    /** GET /index.html from the client, n times, one connection each. */
    private static List<String> curls(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(curl());
        }
        return out;
    }

    /** lbadm -Ln through the child's control socket, in this JVM. */
    private static String listing(Path socket) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = LbadmMain.run(new String[] {"-Ln", "--socket", socket.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return status == 0 ? out.toString(StandardCharsets.UTF_8) : "lbadm failed: " + err.toString(StandardCharsets.UTF_8);
    }

    private Process startHttpd(String ns, Path root) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-m", "http.server", "80", "--bind",
                "0.0.0.0", "--directory", root.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Shell.inNetns(ns, "sh", "-c", "ss -ltn | grep -q ':80 '").exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("httpd in " + ns + " does not listen after 20 s");
            }
            Thread.sleep(100);
        }
        return p;
    }

    private Process startLbd(Path config, Path socket) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder("ip", "netns", "exec", DIRECTOR, java, "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-cp", cp, LbdMain.class.getName(), "--config", config.toString(), "--socket",
                socket.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("lbd.out").toFile()))
                .start();
        processes.add(p);
        return p;
    }
}
