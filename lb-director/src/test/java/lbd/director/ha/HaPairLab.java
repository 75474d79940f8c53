package lbd.director.ha;

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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import lbd.dataplane.dr.Shell;
import lbd.director.cli.LbadmMain;
import lbd.director.dr.LongLivedDrLab;

/**
 * The second field guide's topology with direct routing, in network namespaces, for the HA tests that keep
 * connections across a director change: a client, two directors running lbd with the guide's ha.cf, haresources and
 * authkeys (addresses 10.8.8.x become 198.18.0.x), two gate real servers prepared with scripts/vip-setup.sh running
 * the line echo server of the long-lived tests on port 80 (it answers with its name, "A" or "B"). The tests write
 * their own ldirectord.cf ({@link #writeFiles}). Needs root and python3 ({@link #create} skips the test otherwise);
 * {@link #close} stops every process — also an lbd an upgrade started, found by its configuration file — and removes
 * the namespaces.
 */
public final class HaPairLab implements AutoCloseable {

    public static final String D1 = "lvs-ldir01.hl.local";
    public static final String D2 = "lvs-ldir02.hl.local";
    public static final String VIP = "198.18.0.45";
    public static final String A_IP = "198.18.0.48";
    public static final String B_IP = "198.18.0.49";
    public static final int CONNECTIONS = 100;
    public static final Duration BOUND = Duration.ofSeconds(90);

    public final Path dir;
    public final Path config;
    private final String prefix;
    private final String client;
    private final String d1;
    private final String d2;
    private final List<String> realServers;
    private final List<Process> processes = new ArrayList<>();
    private String vipSetup;
    private int starts;

    private HaPairLab(String prefix, Path dir) {
        this.prefix = prefix;
        this.dir = dir;
        this.config = dir.resolve("ldirectord.cf");
        this.client = prefix + "c";
        this.d1 = prefix + "1";
        this.d2 = prefix + "2";
        this.realServers = List.of(prefix + "a", prefix + "b");
    }

    /**
     * Builds the namespaces ("lbt-TOPIC-PID-") in {@code dir} and starts the real servers. Skips the calling test
     * without root or python3.
     */
    public static HaPairLab create(String topic, Path dir) throws IOException {
        assumeTrue(Shell.isRoot(), topic + ": needs root (network namespaces, AF_PACKET); skipped");
        assumeTrue(Shell.attempt(List.of("python3", "--version")).exitCode() == 0, topic + ": needs python3; skipped");
        HaPairLab lab = new HaPairLab("lbt-" + topic + ProcessHandle.current().pid() % 100_000 + "-", dir);
        try {
            lab.build();
            return lab;
        } catch (IOException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    private void build() throws IOException {
        Shell.netnsLab("clean", prefix);
        vipSetup = Shell.script("vip-setup.sh").toString();
        String sw = prefix + "sw";
        Shell.netnsLab("switch", sw);
        Shell.netnsLab("host", sw, client, "198.18.0.10/24");
        Shell.netnsLab("host", sw, d1, "198.18.0.46/24");
        Shell.netnsLab("host", sw, d2, "198.18.0.47/24");
        Shell.netnsLab("host", sw, realServers.get(0), A_IP + "/24");
        Shell.netnsLab("host", sw, realServers.get(1), B_IP + "/24");
        Path server = resource("/dr/longlived/echo_server.py", "echo_server.py");
        for (String rs : realServers) {
            String name = rs.equals(realServers.get(0)) ? "A" : "B";
            Shell.inNetns(rs, vipSetup, "--iface", "eth0", "start", VIP).assertOk("vip-setup on " + rs);
            spawn(name, List.of("ip", "netns", "exec", rs, "python3", server.toString(), name, "80"));
        }
    }

    /**
     * The guide's ha.cf changed by {@code haCf}, its haresources with {@code extraResources} after the VIP (e.g.
     * another {@code IPaddr::} of a masq VIP), its authkeys (mode 600), and {@code ldirectordCf}.
     */
    public void writeFiles(UnaryOperator<String> haCf, String extraResources, String ldirectordCf) throws IOException {
        Files.writeString(dir.resolve("ha.cf"), haCf.apply(guide("ha.cf")));
        Files.writeString(dir.resolve("haresources"), guide("haresources")
                .replace("IPaddr::10.8.8.45", "IPaddr::" + VIP + (extraResources.isEmpty() ? "" : " " + extraResources)));
        Path keys = dir.resolve("authkeys");
        Files.writeString(keys, guide("authkeys"));
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(config, ldirectordCf);
    }

    /**
     * Starts {@code lbd} (this build's, {@link LongLivedDrLab#javaLbd}, or a launcher) as {@code node} in its
     * namespace with the lab's files; its output goes to the log {@code NODE-N} ({@link #latestLog}).
     */
    public Process director(String node, List<String> lbd) throws IOException {
        starts++;
        Files.writeString(dir.resolve(node + ".latest"), node + "-" + starts);
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace(node)));
        command.addAll(lbd);
        // --warmup=no: these tests are about the HA pair, not the first second of a NAT service.
        command.addAll(List.of("--config", config.toString(), "--socket", socket(node).toString(), "--warmup=no",
                "--ha", dir.toString(), "--ha-node", node));
        return spawn(node + "-" + starts, command);
    }

    public Path socket(String node) {
        return dir.resolve(node + ".sock");
    }

    private String namespace(String node) {
        return node.equals(D1) ? d1 : d2;
    }

    /** Starts {@code python3 SCRIPT ARGS} (a resource of /dr/longlived/) in the client's namespace, logged as {@code name}. */
    public Process client(String name, String script, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", client, "python3",
                resource("/dr/longlived/" + script, script).toString()));
        command.addAll(List.of(args));
        return spawn(name, command);
    }

    /** The {@link #CONNECTIONS} long-lived connections through the VIP (clients.py), once each had an answer. */
    public Process startClients(Path stop) throws IOException {
        Process load = client("clients", "clients.py", VIP, "80", Integer.toString(CONNECTIONS), stop.toString());
        await("every connection answered").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> log("clients").contains("ready"));
        return load;
    }

    /** Stops the long-lived connections ({@code stop} written) and returns their lines ("conn I SERVERS=..."). */
    public List<String> finishClients(Process load, Path stop) throws IOException, InterruptedException {
        Files.writeString(stop, "");
        assertThat(load.waitFor(60, TimeUnit.SECONDS)).as("the clients finish").isTrue();
        List<String> results = log("clients").lines().filter(l -> l.startsWith("conn ")).toList();
        assertThat(results).hasSize(CONNECTIONS);
        return results;
    }

    /**
     * One new connection from the client through the VIP: a line sent, the answer read, closed; the name of the real
     * server that answered ("A", "B"), or what went wrong.
     */
    public String newConnection() {
        String probe = "import socket\n"
                + "s = socket.create_connection(('" + VIP + "', 80), timeout=5)\n"
                + "s.settimeout(5)\n"
                + "s.sendall(b'probe\\n')\n"
                + "print(s.makefile('rb').readline().decode().strip())\n";
        Shell.Result r = Shell.attempt(List.of("ip", "netns", "exec", client, "python3", "-c", probe));
        String answer = r.output().strip();
        return r.exitCode() == 0 && answer.endsWith(" probe") ? answer.substring(0, answer.indexOf(' ')) : answer;
    }

    /** Waits until {@code node}'s lbadm says it is active. */
    public void awaitActive(String node) throws IOException {
        try {
            await(node + " active").atMost(BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> listing(node, "-Ln").contains("HA: " + node + " active"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(node + " did not become active.\n--- " + D1 + ":\n" + latestLog(D1) + "\n--- "
                    + D2 + ":\n" + latestLog(D2), e);
        }
    }

    /** Whether {@code node} has both real servers in its table. */
    public boolean routed(String node) {
        String l = listing(node, "-Ln");
        return l.contains("-> " + A_IP + ":80") && l.contains("-> " + B_IP + ":80");
    }

    /** ESTABLISHED connections to the VIP in the node's lbadm -Lnc. */
    public long established(String node) {
        return listing(node, "-Lnc").lines().filter(l -> l.contains("ESTABLISHED") && l.contains(VIP + ":80")).count();
    }

    /**
     * Active connections of the VIP's real servers in the node's lbadm -Ln: its workers' own (a synchronised
     * connection counts once a packet of it reached a worker; lbadm -Lnc lists it before).
     */
    public long active(String node) {
        return LongLivedDrLab.activeConnections(listing(node, "-Ln").lines()
                .dropWhile(l -> !l.startsWith("TCP  " + VIP + ":80")).skip(1).takeWhile(l -> !l.startsWith("TCP"))
                .collect(java.util.stream.Collectors.joining("\n")));
    }

    /** lbadm WHAT on the node's socket; empty when lbadm fails. */
    public String listing(String node, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = LbadmMain.run(new String[] {what, "--socket", socket(node).toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return status == 0 ? out.toString(StandardCharsets.UTF_8) : "";
    }

    /**
     * A counter of the node's Prometheus endpoint (127.0.0.1:PORT in its namespace), its labels' values summed; 0
     * while absent.
     */
    public long metric(String node, int port, String name) {
        return metrics(node, port).lines().filter(l -> l.startsWith(name + "{"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The node's whole Prometheus text (127.0.0.1:PORT in its namespace); empty when it does not answer. */
    public String metrics(String node, int port) {
        return Shell.inNetns(namespace(node), "curl", "-s", "--max-time", "2", "http://127.0.0.1:" + port + "/metrics")
                .output();
    }

    /** Whether {@code address} is on an interface of {@code node}'s namespace. */
    public boolean holdsAddress(String node, String address) {
        return Shell.inNetns(namespace(node), "ip", "-4", "addr", "show").output().contains(" " + address + "/");
    }

    /** What the process logged as {@code name} wrote so far. */
    public String log(String name) throws IOException {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** The log of the node's latest lbd start (an upgrade's new process writes there too). */
    public String latestLog(String node) throws IOException {
        return log(Files.readString(dir.resolve(node + ".latest")));
    }

    private String guide(String name) throws IOException {
        try (InputStream in = HaPairLab.class.getResourceAsStream("/ha/guide/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Path resource(String name, String as) throws IOException {
        Path file = dir.resolve(as);
        if (!Files.exists(file)) {
            try (InputStream in = HaPairLab.class.getResourceAsStream(name)) {
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
        if (vipSetup != null) {
            for (String rs : realServers) {
                Shell.attempt(List.of("ip", "netns", "exec", rs, vipSetup, "stop"));
            }
        }
        Shell.netnsLab("clean", prefix);
    }
}
