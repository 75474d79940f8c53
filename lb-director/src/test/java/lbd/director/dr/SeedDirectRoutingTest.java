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
 * The first field guide (ha-lb-cluster-centos5-ldirectord-dr) end to end, in network namespaces: a client, the
 * director running {@code lbd --config} (child JVM) with the guide's ldirectord.cf (only its addresses
 * changed: 10.10.10.x becomes 198.18.0.x; checkinterval=1, eventloops=1 and interface=eth0 added), and two
 * real servers VM2 and VM3 prepared with scripts/vip-setup.sh, on one bridge (scripts/netns-lab.sh).
 * The guide's tests: six curls alternate VM3, VM2, ...; ipvsadm -l shows both as Route with weight 1; stop
 * httpd on one web server and every request is served by the other (quiescent=no: its row leaves the table,
 * lbadm notes why under the service); it comes back when started again. Also: lbd refuses to start while the director forwards IPv4.
 */
@Timeout(180)
class SeedDirectRoutingTest {

    private static final String PREFIX = "lbt-seed-";
    private static final String SW = PREFIX + "sw";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String VM2 = PREFIX + "vm2";
    private static final String VM3 = PREFIX + "vm3";
    private static final String VIP = "198.18.0.60";
    private static final String VM2_IP = "198.18.0.62";
    private static final String VM3_IP = "198.18.0.63";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);

    private final List<Process> processes = new ArrayList<>();
    private Path tmp;
    private Process vm3Httpd;

    @Test
    void theFieldGuidesDirectRoutingClusterWorksAsWritten() throws Exception {
        assumeTrue(Shell.isRoot(), "SeedDirectRoutingTest needs root (network namespaces, AF_PACKET); skipped");
        Shell.netnsLab("clean", PREFIX);
        String vipSetup = Shell.script("vip-setup.sh").toString();
        tmp = Files.createTempDirectory("lbt-seed");
        Path socket = tmp.resolve("lbd.sock");
        Path config = tmp.resolve("ldirectord.cf");
        Path log = tmp.resolve("ldirectord.log");
        boolean passed = false;
        try {
            Shell.netnsLab("switch", SW);
            Shell.netnsLab("host", SW, CLIENT, "198.18.0.1/24");
            Shell.netnsLab("host", SW, DIRECTOR, "198.18.0.61/24");
            Shell.netnsLab("host", SW, VM2, VM2_IP + "/24");
            Shell.netnsLab("host", SW, VM3, VM3_IP + "/24");
            for (String vm : List.of(VM2, VM3)) {
                Shell.inNetns(vm, vipSetup, "--iface", "eth0", "start", VIP).assertOk("vip-setup on " + vm);
                Path root = Files.createDirectories(tmp.resolve(name(vm)));
                Files.writeString(root.resolve("index.html"), "This is " + name(vm) + "\n");
                Files.writeString(root.resolve("test.html"), "foo\n");
            }
            startHttpd(VM2);
            vm3Httpd = startHttpd(VM3);

            Files.writeString(config, String.join("\n",
                    "checktimeout=10",
                    "checkinterval=1",
                    "autoreload=no",
                    "logfile=\"" + log + "\"",
                    "quiescent=no",
                    "eventloops=1",
                    "interface=eth0",
                    "metrics=127.0.0.1:9108", // the director namespace's own loopback
                    "virtual=" + VIP + ":80",
                    " real=" + VM2_IP + ":80 gate",
                    " real= " + VM3_IP + ":80 gate",
                    " service=http",
                    " request=\"test.html\"",
                    " receive=\"foo\"",
                    " scheduler=wrr",
                    " protocol=tcp",
                    " checktype=negotiate",
                    ""));

            // lbd checks the host first: a director that forwards IPv4 is refused with the fix, exit status 1.
            Shell.inNetns(DIRECTOR, "sysctl", "-qw", "net.ipv4.ip_forward=1").assertOk("ip_forward=1");
            Process refused = startLbd(config, socket);
            assertThat(refused.waitFor(60, TimeUnit.SECONDS)).as("lbd exits when refused").isTrue();
            assertThat(refused.exitValue()).isEqualTo(1);
            assertThat(Files.readString(log)).contains("lbd could not start: net.ipv4.ip_forward is 1 but must be 0")
                    .contains("sysctl -w net.ipv4.ip_forward=0");
            Shell.inNetns(DIRECTOR, "sysctl", "-qw", "net.ipv4.ip_forward=0").assertOk("ip_forward=0");

            Process lbd = startLbd(config, socket);
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && routed(listing(socket), VM2_IP) && routed(listing(socket), VM3_IP));
            String table = listing(socket);
            assertThat(table).containsPattern("TCP\\s+" + VIP.replace(".", "\\.") + ":80 wrr");

            // "for i in $(seq 6); do curl http://10.10.10.60/index.html; done"
            assertThat(curls(6)).containsExactly(
                    "This is VM3", "This is VM2", "This is VM3", "This is VM2", "This is VM3", "This is VM2");
            assertThat(listing(socket, "--stats")).as("the DR workers' counters reach lbadm -Ln --stats")
                    .containsPattern("->\\s+" + VM3_IP.replace(".", "\\.") + ":80\\s+3\\s")
                    .containsPattern("->\\s+" + VM2_IP.replace(".", "\\.") + ":80\\s+3\\s");

            // "Then stop httpd on one web server ... all requests should now be served from the other web server."
            vm3Httpd.destroy();
            assertThat(vm3Httpd.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await("VM3 leaves the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !listing(socket).contains("-> " + VM3_IP + ":80"));
            assertThat(listing(socket)).as("quiescent=no: no row for VM3, only lbd's note why")
                    .doesNotContain("-> " + VM3_IP).contains("-- " + VM3_IP + ":80 held out")
                    .containsPattern(row(VM2_IP));
            assertThat(curls(4)).containsOnly("This is VM2");

            vm3Httpd = startHttpd(VM3);
            await("VM3 back in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> routed(listing(socket), VM3_IP));
            assertThat(curls(4)).containsOnly("This is VM3", "This is VM2").contains("This is VM3", "This is VM2");

            // A gate real server nobody answers ARP for is held down, and the listing says it is the MAC.
            String ghost = "198.18.0.64";
            assertThat(LbadmMain.run(new String[] {"-a", "-t", VIP + ":80", "-r", ghost + ":80", "-g", "-w", "1",
                "--socket", socket.toString()}, System.out, System.err)).isZero();
            await("the unresolved server is held down").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> listing(socket).contains("MAC address of " + ghost + " not resolved on eth0"));
            assertThat(listing(socket)).doesNotContain("-> " + ghost).contains("-- " + ghost + ":80 held out");
            assertThat(curls(2)).containsOnly("This is VM3", "This is VM2");

            // The DR counters reach lbadm (-L --json) and the metrics, with the flow tables and the ARP state.
            String json = listing(socket, "--json");
            assertThat(json).contains("\"directRouting\":{").containsPattern("\"forwarded\":[1-9]")
                    .contains("\"unresolved\":[{\"service\":{\"protocol\":\"tcp\",\"address\":\"" + VIP
                            + "\",\"port\":80},\"address\":\"" + ghost + "\",\"port\":80}]");
            String metrics = Shell.inNetns(DIRECTOR, "curl", "-s", "--max-time", "5", "http://127.0.0.1:9108/metrics")
                    .assertOk("scrape").output();
            String labels = "{protocol=\"tcp\",server=\"%s:80\",service=\"" + VIP + ":80\"}";
            assertThat(metrics).containsPattern("lbd_dr_frames_forwarded_total [1-9]")
                    .containsPattern("lbd_dr_frames_received_total [1-9]")
                    .containsPattern("lbd_dr_replies_sent_total\\{kind=\"arp\"} [1-9]")
                    .contains("lbd_dr_frames_dropped_total{reason=\"no-service\"}")
                    .containsPattern("lbd_dr_flow_table_capacity\\{worker=\"0\"} [1-9]")
                    .contains("lbd_dr_neighbour_resolved" + labels.formatted(VM2_IP) + " 1")
                    .contains("lbd_dr_neighbour_resolved" + labels.formatted(ghost) + " 0");
            assertThat(Shell.inNetns(DIRECTOR, "curl", "-s", "--max-time", "5", "http://127.0.0.1:9108/status.json")
                    .assertOk("status").output()).contains("\"kind\":\"status\"").contains("\"directRouting\":{");
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
            for (String vm : List.of(VM2, VM3)) {
                Shell.inNetns(vm, vipSetup, "stop");
            }
            Shell.netnsLab("clean", PREFIX);
            try (Stream<Path> files = Files.walk(tmp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String name(String vm) {
        return vm.equals(VM2) ? "VM2" : "VM3";
    }

    /** A destination row: "-> RIP:80   Route   1". */
    private static String row(String rip) {
        return "->\\s+" + rip.replace(".", "\\.") + ":80\\s+Route\\s+1";
    }

    private static boolean routed(String listing, String rip) {
        return java.util.regex.Pattern.compile(row(rip) + "\\s").matcher(listing).find();
    }

    /** GET /index.html from the client, n times, one connection each. */
    private static List<String> curls(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Shell.inNetns(CLIENT, "curl", "-s", "--max-time", "5", "http://" + VIP + "/index.html")
                    .output().strip());
        }
        return out;
    }

    /** lbadm -Ln through the child's control socket, in this JVM. */
    private static String listing(Path socket, String... more) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("-Ln", "--socket", socket.toString()));
        args.addAll(List.of(more));
        int status = LbadmMain.run(args.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return status == 0 ? out.toString(StandardCharsets.UTF_8) : "lbadm failed: " + err.toString(StandardCharsets.UTF_8);
    }

    private Process startHttpd(String vm) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", vm, "python3", "-m", "http.server", "80", "--bind",
                "0.0.0.0", "--directory", tmp.resolve(name(vm)).toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Shell.inNetns(vm, "sh", "-c", "ss -ltn | grep -q ':80 '").exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("httpd on " + vm + " does not listen after 20 s");
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
