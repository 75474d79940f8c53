package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
 * A restart of a single director under {@code cleanstop=no} keeps its established direct-routing connections, in
 * network namespaces: a client, the director ({@code lbd --config}, a child JVM, with LBD_RUN_DIR in the test's
 * directory), two gate real servers prepared with scripts/vip-setup.sh running a line echo server that answers
 * with its name, scheduler wlc. 100 long-lived TCP connections each exchange a line every 100 ms; lbd is stopped
 * (SIGTERM: it saves the DR state) and started again (it restores it): at least 99 connections carry on, each
 * answered by the one real server it had before. The same without saved state, under sloppytcp=yes with mh.
 * Needs root and python3; skips otherwise.
 */
@Timeout(240)
class DrRestartNamespaceTest {

    private static final String PREFIX = "lbt-r" + ProcessHandle.current().pid() % 100_000 + "-";
    private static final String SW = PREFIX + "sw";
    private static final String CLIENT = PREFIX + "c";
    private static final String DIRECTOR = PREFIX + "d";
    private static final String RS_A = PREFIX + "a";
    private static final String RS_B = PREFIX + "b";
    private static final String VIP = "198.18.0.60";
    private static final String A_IP = "198.18.0.62";
    private static final String B_IP = "198.18.0.63";
    private static final int PORT = 7000;
    private static final int CONNECTIONS = 100;
    private static final Duration BOUND = Duration.ofSeconds(60);

    private final List<Process> processes = new ArrayList<>();
    private Path tmp;

    @Test
    void aRestartWithCleanstopNoKeepsEstablishedConnectionsOnTheirRealServers() throws Exception {
        restart(true, "wlc");
    }

    /**
     * Nothing saved (cleanstop=yes), but sloppytcp=yes and mh: the new process schedules each connection's next
     * packet, and mh sends it to the real server the connection had (what survives a director change no sync
     * covered).
     */
    @Test
    void withoutSavedStateSloppyTcpAndMhCarryConnectionsOnToTheirRealServers() throws Exception {
        restart(false, "mh");
    }

    private void restart(boolean cleanstopNo, String scheduler) throws Exception {
        assumeTrue(Shell.isRoot(), "DrRestartNamespaceTest needs root (network namespaces, AF_PACKET); skipped");
        assumeTrue(Shell.attempt(List.of("python3", "--version")).exitCode() == 0,
                "DrRestartNamespaceTest needs python3; skipped");
        Shell.netnsLab("clean", PREFIX);
        String vipSetup = Shell.script("vip-setup.sh").toString();
        tmp = Files.createTempDirectory("lbt-restart");
        Path runDir = tmp.resolve("run");
        Path socket = tmp.resolve("lbd.sock");
        Path config = tmp.resolve("ldirectord.cf");
        Path stop = tmp.resolve("stop");
        boolean passed = false;
        try {
            Shell.netnsLab("switch", SW);
            Shell.netnsLab("host", SW, CLIENT, "198.18.0.1/24");
            Shell.netnsLab("host", SW, DIRECTOR, "198.18.0.61/24");
            Shell.netnsLab("host", SW, RS_A, A_IP + "/24");
            Shell.netnsLab("host", SW, RS_B, B_IP + "/24");
            Path server = resource("echo_server.py");
            Path clients = resource("clients.py");
            for (String rs : List.of(RS_A, RS_B)) {
                Shell.inNetns(rs, vipSetup, "--iface", "eth0", "start", VIP).assertOk("vip-setup on " + rs);
                spawn(rs.equals(RS_A) ? "A" : "B", List.of("ip", "netns", "exec", rs, "python3", server.toString(),
                        rs.equals(RS_A) ? "A" : "B", Integer.toString(PORT)));
            }
            Files.writeString(config, String.join("\n",
                    "checkinterval=1",
                    "checktimeout=2",
                    "quiescent=no",
                    cleanstopNo ? "cleanstop=no" : "sloppytcp=yes",
                    "eventloops=1",
                    "interface=eth0",
                    "virtual=" + VIP + ":" + PORT,
                    " real=" + A_IP + ":" + PORT + " gate",
                    " real=" + B_IP + ":" + PORT + " gate",
                    " scheduler=" + scheduler,
                    " protocol=tcp",
                    " checktype=connect",
                    ""));

            Process lbd = startLbd(config, socket, runDir, "lbd-1");
            awaitBothRouted(lbd, socket);
            Process load = spawn("clients", List.of("ip", "netns", "exec", CLIENT, "python3", clients.toString(), VIP,
                    Integer.toString(PORT), Integer.toString(CONNECTIONS), stop.toString()));
            await("every connection answered").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                    .until(() -> log("clients").contains("ready"));
            assertThat(established(socket)).as("the connections, before the restart").isGreaterThanOrEqualTo(99);

            lbd.destroy(); // SIGTERM: cleanstop=no saves the DR state
            assertThat(lbd.waitFor(30, TimeUnit.SECONDS)).as("lbd stops").isTrue();
            Path saved = runDir.resolve("ldirectord.cf.dr-state");
            if (cleanstopNo) {
                assertThat(saved).as("the saved DR state").isNotEmptyFile();
                assertThat(log("lbd-1")).containsPattern("cleanstop=no: 1?\\d\\d DR connections and 0 persistence"
                        + " templates saved to " + java.util.regex.Pattern.quote(saved.toString()));
            } else {
                assertThat(saved).as("cleanstop=yes saves nothing").doesNotExist();
            }

            Process again = startLbd(config, socket, runDir, "lbd-2");
            if (cleanstopNo) {
                await("the saved connections restored").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                        .until(() -> log("lbd-2").contains("of the previous run carry on"));
            }
            await("the connections taken in by the new process").atMost(BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> again.isAlive() && established(socket) >= 99);
            assertThat(saved).as("taken once: removed at start").doesNotExist();

            Files.writeString(stop, "");
            assertThat(load.waitFor(60, TimeUnit.SECONDS)).as("the clients finish").isTrue();
            List<String> results = log("clients").lines().filter(l -> l.startsWith("conn ")).toList();
            assertThat(results).hasSize(CONNECTIONS);
            List<String> carriedOn = results.stream()
                    .filter(l -> l.matches("conn \\d+ SERVERS=[AB] ANSWERS=\\d+ MAXGAP_MS=\\d+ ERROR=- GAPS=.*")).toList();
            long maxGap = carriedOn.stream().mapToLong(l -> Long.parseLong(l.replaceAll(".*MAXGAP_MS=(\\d+).*", "$1")))
                    .max().orElse(0);
            System.out.println("DrRestartNamespaceTest (" + (cleanstopNo ? "cleanstop=no" : "sloppytcp=yes, mh")
                    + "): " + carriedOn.size() + " of " + CONNECTIONS + " connections carried on to the same real"
                    + " server across the restart; longest gap " + maxGap + " ms");
            assertThat(carriedOn).as("connections answered throughout by one real server, without error:\n%s",
                    String.join("\n", results)).hasSizeGreaterThanOrEqualTo(99);
            assertThat(log("lbd-2")).as("no warning about the saved state").doesNotContainPattern("WARN .*cleanstop=no:");
            passed = true;
        } finally {
            if (!passed) {
                for (String name : List.of("lbd-1", "lbd-2", "clients")) {
                    System.err.println("---- " + name + " ----\n" + log(name));
                }
            }
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            for (Process p : processes) {
                p.waitFor(10, TimeUnit.SECONDS);
            }
            for (String rs : List.of(RS_A, RS_B)) {
                Shell.attempt(List.of("ip", "netns", "exec", rs, vipSetup, "stop"));
            }
            Shell.netnsLab("clean", PREFIX);
            try (Stream<Path> files = Files.walk(tmp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void awaitBothRouted(Process lbd, Path socket) {
        await("both real servers in the table").atMost(BOUND).pollInterval(Duration.ofMillis(250))
                .until(() -> lbd.isAlive() && listing(socket, "-Ln").contains("-> " + A_IP + ":" + PORT)
                        && listing(socket, "-Ln").contains("-> " + B_IP + ":" + PORT));
    }

    /** ESTABLISHED connections to the VIP in lbadm -Lnc. */
    private static long established(Path socket) {
        return listing(socket, "-Lnc").lines().filter(l -> l.contains("ESTABLISHED") && l.contains(VIP + ":" + PORT))
                .count();
    }

    private static String listing(Path socket, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = LbadmMain.run(new String[] {what, "--socket", socket.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return status == 0 ? out.toString(StandardCharsets.UTF_8) : "";
    }

    private Path resource(String name) throws IOException {
        Path file = tmp.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/dr/longlived/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    private String log(String name) throws IOException {
        Path f = tmp.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private Process spawn(String name, List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(name + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        processes.add(p);
        return p;
    }

    private Process startLbd(Path config, Path socket, Path runDir, String name) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder b = new ProcessBuilder("ip", "netns", "exec", DIRECTOR, java, "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp, LbdMain.class.getName(), "--config",
                config.toString(), "--socket", socket.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        b.environment().put("LBD_RUN_DIR", runDir.toString());
        Process p = b.start();
        processes.add(p);
        return p;
    }
}
