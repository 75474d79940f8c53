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
 * Direct routing over IPv6 in network namespaces: a client, the director running {@code lbd --config} (child
 * JVM) with {@code virtual6=} gate services, and two real servers prepared with {@code scripts/vip-setup.sh} (the
 * VIP on lo as a /128, nodad), on one bridge; ULA addresses (fd00:198:18::/64), no duplicate address detection.
 * The client finds the VIP by neighbour discovery (lbd answers the solicitation), the director finds the real
 * servers' MACs the same way. {@code lbd --check} and start agree: both accept the file. curl -6 alternates
 * between the two servers (rr); a persistent service with {@code netmask=64} keeps both of the client's
 * addresses in its /64 on one server; a stopped server leaves the table and comes back.
 */
@Timeout(180)
class DrIpv6EndToEndTest {

    private static final String PREFIX = "lbt-i21v6-";
    private static final String SW = PREFIX + "sw";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String VM2 = PREFIX + "vm2";
    private static final String VM3 = PREFIX + "vm3";
    private static final String NET = "fd00:198:18::";
    private static final String VIP = NET + "60";
    private static final String CLIENT_IP = NET + "1";
    private static final String CLIENT_IP2 = NET + "11";
    private static final String VM2_IP = NET + "62";
    private static final String VM3_IP = NET + "63";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);

    private final List<Process> processes = new ArrayList<>();
    private Path tmp;
    private Process vm3Httpd;

    @Test
    void curlOverIpv6ReachesBothRealServersThroughTheVip() throws Exception {
        assumeTrue(Shell.isRoot(), "DrIpv6EndToEndTest needs root (network namespaces, AF_PACKET); skipped");
        Shell.netnsLab("clean", PREFIX);
        String vipSetup = Shell.script("vip-setup.sh").toString();
        tmp = Files.createTempDirectory("lbt-i21v6");
        Path socket = tmp.resolve("lbd.sock");
        Path config = tmp.resolve("ldirectord.cf");
        Path log = tmp.resolve("ldirectord.log");
        boolean passed = false;
        try {
            Shell.netnsLab("switch", SW);
            host(CLIENT, "198.18.0.1", CLIENT_IP);
            Shell.inNetns(CLIENT, "ip", "-6", "addr", "add", CLIENT_IP2 + "/64", "dev", "eth0", "nodad")
                    .assertOk("second client address");
            host(DIRECTOR, "198.18.0.61", NET + "61");
            host(VM2, "198.18.0.62", VM2_IP);
            host(VM3, "198.18.0.63", VM3_IP);
            for (String vm : List.of(VM2, VM3)) {
                Shell.inNetns(vm, vipSetup, "--iface", "eth0", "start", VIP).assertOk("vip-setup on " + vm);
                Path root = Files.createDirectories(tmp.resolve(name(vm)));
                Files.writeString(root.resolve("index.html"), "This is " + name(vm) + "\n");
                Files.writeString(root.resolve("test.html"), "foo\n");
            }
            for (String vm : List.of(VM2, VM3)) {
                processes.add(new ProcessBuilder("ip", "netns", "exec", vm, "python3", "-m", "http.server", "8000",
                        "--bind", "::", "--directory", tmp.resolve(name(vm)).toString())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            startHttpd(VM2);
            vm3Httpd = startHttpd(VM3);

            Files.writeString(config, String.join("\n",
                    "checktimeout=2",
                    "checkinterval=1",
                    "autoreload=no",
                    "logfile=\"" + log + "\"",
                    "quiescent=no",
                    "eventloops=1",
                    "interface=eth0",
                    "virtual6=[" + VIP + "]:80",
                    " real6=[" + VM2_IP + "]:80 gate",
                    " real6=[" + VM3_IP + "]:80 gate",
                    " service=http",
                    " request=\"test.html\"",
                    " receive=\"foo\"",
                    " scheduler=rr",
                    " protocol=tcp",
                    " checktype=negotiate",
                    "virtual6=[" + VIP + "]:8000",
                    " real6=[" + VM2_IP + "]:8000 gate",
                    " real6=[" + VM3_IP + "]:8000 gate",
                    " scheduler=rr",
                    " persistent=300",
                    " netmask=64",
                    " protocol=tcp",
                    " checktype=connect",
                    ""));

            Process check = lbdProcess("--check", config.toString());
            assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(check.exitValue()).as("lbd --check accepts what lbd starts").isZero();

            Process lbd = lbdProcess("--config", config.toString(), "--socket", socket.toString());
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && routed(listing(socket), VM2_IP) && routed(listing(socket), VM3_IP));

            List<String> answers = curls(CLIENT_IP, 80, 6);
            assertThat(answers).containsOnly("This is VM2", "This is VM3");
            for (int i = 1; i < answers.size(); i++) {
                assertThat(answers.get(i)).as("rr alternates: answer " + i + " of " + answers)
                        .isNotEqualTo(answers.get(i - 1));
            }
            assertThat(Shell.inNetns(CLIENT, "ip", "-6", "neigh", "show", VIP).output())
                    .as("the client learnt the VIP by neighbour discovery").contains("lladdr");

            // netmask=64: both client addresses are one client network, so one template and one server.
            List<String> persistent = new ArrayList<>(curls(CLIENT_IP, 8000, 3));
            persistent.addAll(curls(CLIENT_IP2, 8000, 3));
            assertThat(persistent).hasSize(6).containsOnly(persistent.getFirst());
            assertThat(persistent.getFirst()).isIn("This is VM2", "This is VM3");

            vm3Httpd.destroy();
            assertThat(vm3Httpd.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await("VM3 leaves the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !routed(listing(socket), VM3_IP));
            assertThat(curls(CLIENT_IP, 80, 4)).containsOnly("This is VM2");

            vm3Httpd = startHttpd(VM3);
            await("VM3 back in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> routed(listing(socket), VM3_IP));
            assertThat(curls(CLIENT_IP, 80, 4)).contains("This is VM2", "This is VM3");
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

    /** A namespace on the bridge with an IPv4 address (netns-lab.sh's) and an IPv6 one without DAD. */
    private static void host(String ns, String ipv4, String ipv6) {
        Shell.netnsLab("host", SW, ns, ipv4 + "/24");
        Shell.inNetns(ns, "ip", "-6", "addr", "add", ipv6 + "/64", "dev", "eth0", "nodad").assertOk("IPv6 on " + ns);
    }

    private static String name(String vm) {
        return vm.equals(VM2) ? "VM2" : "VM3";
    }

    /** A destination row: "-> [RIP]:80   Route   1" (the listing writes the address as Java prints it). */
    private static boolean routed(String listing, String rip) {
        String printed;
        try {
            printed = java.net.InetAddress.getByName(rip).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
        return java.util.regex.Pattern.compile("->\\s+\\[" + java.util.regex.Pattern.quote(printed)
                + "\\]:80\\s+Route\\s+1\\s").matcher(listing).find();
    }

    /** GET /index.html from the client's address {@code from}, n times, one connection each. */
    private static List<String> curls(String from, int port, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Shell.inNetns(CLIENT, "curl", "-6", "-g", "-s", "--max-time", "5", "--interface", from,
                    "http://[" + VIP + "]:" + port + "/index.html").output().strip());
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

    private Process startHttpd(String vm) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", vm, "python3", "-m", "http.server", "80", "--bind",
                "::", "--directory", tmp.resolve(name(vm)).toString())
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

    private Process lbdProcess(String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", DIRECTOR, java,
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp, LbdMain.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("lbd.out").toFile())).start();
        processes.add(p);
        return p;
    }
}
