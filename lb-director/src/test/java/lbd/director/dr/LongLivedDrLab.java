package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
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

/**
 * The network-namespace lab of the long-lived direct-routing tests (a restart, an upgrade): a client, a director and
 * two gate real servers on one switch, the real servers prepared with scripts/vip-setup.sh and running a line echo
 * server that answers with its name ("A", "B"); lbd runs in the director's namespace as a child JVM with
 * LBD_RUN_DIR in the lab's directory. {@link #startClients} opens 100 long-lived TCP connections through the VIP,
 * each exchanging a line every 100 ms; {@link #finishClients} stops them and says which carried on to the one real
 * server they had. Needs root and python3 ({@link #create} skips the test otherwise). {@link #close} stops every
 * process (also an lbd an upgrade started, found by its configuration file), removes the namespaces and the files.
 */
public final class LongLivedDrLab implements AutoCloseable {

    public static final String VIP = "198.18.0.60";
    public static final String A_IP = "198.18.0.62";
    public static final String B_IP = "198.18.0.63";
    public static final int PORT = 7000;
    public static final int CONNECTIONS = 100;
    public static final Duration BOUND = Duration.ofSeconds(60);

    private final String prefix;
    private final String director;
    private final String client;
    private final List<String> realServers;
    public final Path dir;
    public final Path runDir;
    public final Path socket;
    public final Path config;
    private final Path stop;
    private final String vipSetup;
    private final List<Process> processes = new ArrayList<>();

    private final String method;

    private LongLivedDrLab(String prefix, Path dir, String vipSetup, String method) {
        this.method = method;
        this.prefix = prefix;
        this.director = prefix + "d";
        this.client = prefix + "c";
        this.realServers = List.of(prefix + "a", prefix + "b");
        this.dir = dir;
        this.runDir = dir.resolve("run");
        this.socket = dir.resolve("lbd.sock");
        this.config = dir.resolve("ldirectord.cf");
        this.stop = dir.resolve("stop");
        this.vipSetup = vipSetup;
    }

    /**
     * Builds the namespaces and starts the real servers; {@code topic} names the test in the namespaces' prefix
     * ("lbt-TOPIC-PID-"). Skips the calling test without root or python3.
     */
    public static LongLivedDrLab create(String topic) throws IOException {
        return create(topic, "gate");
    }

    /**
     * As above, with real servers of {@code method}: "gate", or "ipip" — each real server then decapsulates on
     * tunl0 (the kernel's ipip module, or where this kernel has none the stand-in of {@link DrLab#DECAPSULATOR}) and
     * is set up with {@code vip-setup.sh --tunnel}.
     */
    public static LongLivedDrLab create(String topic, String method) throws IOException {
        assumeTrue(Shell.isRoot(), topic + ": needs root (network namespaces, AF_PACKET); skipped");
        assumeTrue(Shell.attempt(List.of("python3", "--version")).exitCode() == 0, topic + ": needs python3; skipped");
        String prefix = "lbt-" + topic + ProcessHandle.current().pid() % 100_000 + "-";
        Shell.netnsLab("clean", prefix);
        LongLivedDrLab lab = new LongLivedDrLab(prefix, Files.createTempDirectory("lbt-" + topic),
                Shell.script("vip-setup.sh").toString(), method);
        try {
            lab.build();
            return lab;
        } catch (IOException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    private void build() throws IOException {
        String sw = prefix + "sw";
        Shell.netnsLab("switch", sw);
        Shell.netnsLab("host", sw, client, "198.18.0.1/24");
        Shell.netnsLab("host", sw, director, "198.18.0.61/24");
        Shell.netnsLab("host", sw, realServers.get(0), A_IP + "/24");
        Shell.netnsLab("host", sw, realServers.get(1), B_IP + "/24");
        Path server = resource("echo_server.py");
        for (String rs : realServers) {
            String name = rs.equals(realServers.get(0)) ? "A" : "B";
            if (method.equals("ipip")) {
                tunnelEndpoint(rs);
                Shell.inNetns(rs, vipSetup, "--iface", "eth0", "--tunnel", "start", VIP).assertOk("vip-setup on " + rs);
            } else {
                Shell.inNetns(rs, vipSetup, "--iface", "eth0", "start", VIP).assertOk("vip-setup on " + rs);
            }
            spawn(name, List.of("ip", "netns", "exec", rs, "python3", server.toString(), name, Integer.toString(PORT)));
        }
    }

    /** tunl0 in {@code rs}: the kernel's, or a TUN device its stand-in decapsulator feeds; once attached. */
    private void tunnelEndpoint(String rs) throws IOException {
        if (Shell.inNetns(rs, "sh", "-c", "modprobe ipip 2>/dev/null; ip link show tunl0").exitCode() != 0) {
            Shell.inNetns(rs, "ip", "tuntap", "add", "dev", "tunl0", "mode", "tun").assertOk("tunl0 in " + rs);
            Path script = dir.resolve("decapsulate.py");
            if (!Files.exists(script)) {
                Files.writeString(script, DrLab.DECAPSULATOR);
            }
            spawn("decapsulator-" + rs, List.of("ip", "netns", "exec", rs, "python3", script.toString()));
            await("tunl0 ready in " + rs).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !Shell.inNetns(rs, "ip", "-o", "link", "show", "tunl0").output()
                            .contains("NO-CARRIER"));
        }
    }

    /**
     * Writes the configuration: the VIP over both real servers (of the lab's method) with {@code scheduler}, after
     * {@code globals}.
     */
    public void writeConfig(String scheduler, String... globals) throws IOException {
        writeConfig(scheduler, List.of(), globals);
    }

    /** As above, with {@code serviceLines} (e.g. "persistent=300") in the virtual service's block. */
    public void writeConfig(String scheduler, List<String> serviceLines, String... globals) throws IOException {
        List<String> lines = new ArrayList<>(List.of("checkinterval=1", "checktimeout=2", "quiescent=no",
                "eventloops=1", "interface=eth0"));
        lines.addAll(List.of(globals));
        lines.addAll(List.of(
                "virtual=" + VIP + ":" + PORT,
                " real=" + A_IP + ":" + PORT + " " + method,
                " real=" + B_IP + ":" + PORT + " " + method,
                " scheduler=" + scheduler,
                " protocol=tcp",
                " checktype=connect"));
        serviceLines.forEach(l -> lines.add(" " + l));
        lines.add("");
        Files.writeString(config, String.join("\n", lines));
    }

    /** The command that runs this build's lbd (a child JVM); {@link #startLbd} adds the configuration and socket. */
    public static List<String> javaLbd() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp,
                LbdMain.class.getName());
    }

    /**
     * Starts {@code lbd} ({@link #javaLbd}, or a launcher) in the director's namespace with {@code --config} and
     * {@code --socket} of the lab and {@code extra} arguments; its output goes to the log {@code name}.
     */
    public Process startLbd(String name, List<String> lbd, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", director));
        command.addAll(lbd);
        command.addAll(List.of("--config", config.toString(), "--socket", socket.toString()));
        command.addAll(List.of(extra));
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        b.environment().put("LBD_RUN_DIR", runDir.toString());
        Process p = b.start();
        processes.add(p);
        return p;
    }

    /** Waits until lbd has both real servers in its table (checked and MAC resolved). */
    public void awaitBothRouted(Process lbd) {
        await("both real servers in the table").atMost(BOUND).pollInterval(Duration.ofMillis(250))
                .until(() -> lbd.isAlive() && listing("-Ln").contains("-> " + A_IP + ":" + PORT)
                        && listing("-Ln").contains("-> " + B_IP + ":" + PORT));
    }

    /** Opens the {@link #CONNECTIONS} long-lived connections from the client and waits until each had an answer. */
    public Process startClients() throws IOException {
        Process load = spawn("clients", List.of("ip", "netns", "exec", client, "python3",
                resource("clients.py").toString(), VIP, Integer.toString(PORT), Integer.toString(CONNECTIONS),
                stop.toString()));
        await("every connection answered").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> log("clients").contains("ready"));
        return load;
    }

    /**
     * Starts a stream of new connections from the client (one a line, then closed, every 50 ms; each may take up to
     * 10 s: a SYN dropped is retransmitted) until {@link #finishClients}; {@link NewConnections} reads its result.
     */
    public Process startNewConnections() throws IOException {
        return spawn("new", List.of("ip", "netns", "exec", client, "python3", resource("new_connections.py").toString(),
                VIP, Integer.toString(PORT), stop.toString()));
    }

    /** What the long-lived connections did, from their client's lines. */
    public record Outcome(List<String> results, List<String> carriedOn, long maxGapMillis) {
    }

    /** What the stream of new connections did: how many were answered, how many failed and why. */
    public record NewConnections(int answered, int failed, String errors) {
    }

    /** Stops the clients (and a stream of new connections) and reads what their connections did. */
    public Outcome finishClients(Process load) throws IOException, InterruptedException {
        Files.writeString(stop, "");
        assertThat(load.waitFor(60, TimeUnit.SECONDS)).as("the clients finish").isTrue();
        List<String> results = log("clients").lines().filter(l -> l.startsWith("conn ")).toList();
        List<String> carriedOn = results.stream()
                .filter(l -> l.matches("conn \\d+ SERVERS=[AB] ANSWERS=\\d+ MAXGAP_MS=\\d+ ERROR=- GAPS=.*")).toList();
        long maxGap = carriedOn.stream().mapToLong(l -> Long.parseLong(l.replaceAll(".*MAXGAP_MS=(\\d+).*", "$1")))
                .max().orElse(0);
        return new Outcome(results, carriedOn, maxGap);
    }

    /** The stream's result, once {@link #finishClients} has stopped it. */
    public NewConnections newConnections(Process stream) throws IOException, InterruptedException {
        assertThat(stream.waitFor(30, TimeUnit.SECONDS)).as("the new connections' stream ends").isTrue();
        String line = log("new").lines().filter(l -> l.startsWith("new ")).findFirst().orElse("");
        assertThat(line).as(log("new")).matches("new ANSWERED=\\d+ FAILED=\\d+ ERRORS=.*");
        return new NewConnections(Integer.parseInt(line.replaceAll(".*ANSWERED=(\\d+).*", "$1")),
                Integer.parseInt(line.replaceAll(".*FAILED=(\\d+).*", "$1")), line.replaceAll(".*ERRORS=", ""));
    }

    /** Whether a new connection from the client through the VIP is answered within 3 s (a line, then closed). */
    public boolean answersNewConnection() {
        String probe = "import socket\n"
                + "s = socket.create_connection(('" + VIP + "', " + PORT + "), timeout=3)\n"
                + "s.settimeout(3)\n"
                + "s.sendall(b'probe\\n')\n"
                + "print(s.makefile('rb').readline().decode().strip())\n";
        Shell.Result r = Shell.attempt(List.of("ip", "netns", "exec", client, "python3", "-c", probe));
        return r.exitCode() == 0 && r.output().strip().matches("[AB] probe");
    }

    /**
     * The real server ("A", "B") that answered a new connection from the client through the VIP (a line, then
     * closed), or what went wrong.
     */
    public String newConnectionServer() {
        String probe = "import socket\n"
                + "s = socket.create_connection(('" + VIP + "', " + PORT + "), timeout=5)\n"
                + "s.settimeout(5)\n"
                + "s.sendall(b'probe\\n')\n"
                + "print(s.makefile('rb').readline().decode().strip())\n";
        Shell.Result r = Shell.attempt(List.of("ip", "netns", "exec", client, "python3", "-c", probe));
        String answer = r.output().strip();
        return r.exitCode() == 0 && answer.endsWith(" probe") ? answer.substring(0, answer.indexOf(' ')) : answer;
    }

    /** Runs {@code command} in the director's namespace (e.g. curl of lbd's metrics on its loopback). */
    public Shell.Result inDirector(String... command) {
        return Shell.inNetns(director, command);
    }

    /**
     * Active connections of the VIP's real servers in lbadm -Ln: the workers' own (a connection restored or handed
     * over counts once a packet of it reached a worker; lbadm -Lnc lists it before).
     */
    public long activeConnections() {
        return activeConnections(listing("-Ln"));
    }

    /** The ActiveConn column of the VIP's real servers in an lbadm -Ln listing, summed. */
    public static long activeConnections(String listing) {
        return listing.lines().filter(l -> l.strip().startsWith("-> ") && !l.contains("RemoteAddress"))
                .mapToLong(l -> Long.parseLong(l.strip().split("\\s+")[4])).sum();
    }

    /** ESTABLISHED connections to the VIP in lbadm -Lnc. */
    public long established() {
        return listing("-Lnc").lines().filter(l -> l.contains("ESTABLISHED") && l.contains(VIP + ":" + PORT)).count();
    }

    /** lbadm WHAT on the lab's socket; empty when lbadm fails. */
    public String listing(String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = LbadmMain.run(new String[] {what, "--socket", socket.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return status == 0 ? out.toString(StandardCharsets.UTF_8) : "";
    }

    /** What the process logged as {@code name} wrote so far ("clients", "new", "A", "B", or an lbd's). */
    public String log(String name) throws IOException {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** Prints the logs {@code names} on stderr (a failed test's evidence). */
    public void dump(String... names) throws IOException {
        for (String name : names) {
            System.err.println("---- " + name + " ----\n" + log(name));
        }
    }

    private Path resource(String name) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            try (InputStream in = LongLivedDrLab.class.getResourceAsStream("/dr/longlived/" + name)) {
                Files.copy(in, file);
            }
        }
        return file;
    }

    private Process spawn(String name, List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        processes.add(p);
        return p;
    }

    @Override
    public void close() {
        Shell.killAll(processes, config.toString());
        for (String rs : realServers) {
            Shell.attempt(List.of("ip", "netns", "exec", rs, vipSetup, "stop"));
        }
        Shell.netnsLab("clean", prefix);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("LongLivedDrLab: cannot remove " + dir + ": " + e.getMessage());
        }
    }
}
