package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lbd.dataplane.dr.Shell;
import lbd.director.cli.LbadmMain;
import lbd.director.cli.LbdMain;

/**
 * The namespace plumbing of the DR tests (one switch; two-interface directors; ipip across routers): namespaces named
 * with a per-run prefix, real servers that report what they received or serve a directory, lbd (or another main) as a
 * child JVM with its control socket, and cleanup of all of it. Tests only; one per test method.
 */
final class DrLab implements AutoCloseable {

    /**
     * The real servers' program: {@code python3 SERVER PORT NAME [6]} answers GET with "OK NAME CLIENT-ADDRESS" and
     * POST with "NAME CLIENT-ADDRESS LENGTH SHA-256" of the body it received; with 6, on IPv6.
     */
    private static final String SERVER = String.join("\n",
            "import hashlib, socket, sys",
            "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer",
            "class H(BaseHTTPRequestHandler):",
            "    def answer(self, text):",
            "        body = text.encode()",
            "        self.send_response(200)",
            "        self.send_header('Content-Length', str(len(body)))",
            "        self.end_headers()",
            "        self.wfile.write(body)",
            "    def do_GET(self):",
            "        self.answer('OK %s %s\\n' % (sys.argv[2], self.client_address[0]))",
            "    def do_POST(self):",
            "        left = int(self.headers['Content-Length']); n = left; h = hashlib.sha256()",
            "        while left:",
            "            b = self.rfile.read(min(65536, left))",
            "            if not b: break",
            "            h.update(b); left -= len(b)",
            "        self.answer('%s %s %d %s\\n' % (sys.argv[2], self.client_address[0], n, h.hexdigest()))",
            "    def log_message(self, *args):",
            "        pass",
            "class S(ThreadingHTTPServer):",
            "    address_family = socket.AF_INET6 if len(sys.argv) > 3 else socket.AF_INET",
            "S(('::' if len(sys.argv) > 3 else '0.0.0.0', int(sys.argv[1])), H).serve_forever()",
            "");

    /**
     * Where the test kernel has no ipip module (CONFIG_NET_IPIP), this stands in for the kernel's receive path: a
     * raw socket for protocol 4 takes each tunnelled packet and writes the inner packet into a TUN device named
     * tunl0 (the real server's stack then sees the client's packet arrive on tunl0).
     */
    /**
     * A TCP sink on port 9000 (python3 SINK LABEL): reads until the client shuts down its half, then answers
     * "LABEL got BYTES".
     */
    static final String COUNTING_SINK = String.join("\n",
            "import socket, sys",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', 9000)); s.listen(8)",
            "while True:",
            "    c, _ = s.accept(); n = 0",
            "    while True:",
            "        b = c.recv(65536)",
            "        if not b: break",
            "        n += len(b)",
            "    c.sendall(('%s got %d' % (sys.argv[1], n)).encode()); c.close()",
            "");
    static final String DECAPSULATOR = String.join("\n",
            "import fcntl, os, socket, struct",
            "fd = os.open('/dev/net/tun', os.O_RDWR)",
            "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'tunl0', 0x0001 | 0x1000))  # TUNSETIFF: TUN, NO_PI",
            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)",
            "while True:",
            "    p = s.recv(65535)",
            "    os.write(fd, p[(p[0] & 0x0f) * 4:])",
            "");

    /** The same for IPv6-in-IPv6 on ip6tnl0: an IPv6 raw socket receives the inner packet without the outer header. */
    static final String DECAPSULATOR6 = String.join("\n",
            "import fcntl, os, socket, struct",
            "fd = os.open('/dev/net/tun', os.O_RDWR)",
            "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'ip6tnl0', 0x0001 | 0x1000))",
            "s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 41)",
            "while True:",
            "    os.write(fd, s.recv(65535))",
            "");

    /** The client's, the director's and the router's addresses in {@link #twoNetworks}. */
    static final String TWO_NET_CLIENT = "198.18.1.2";
    static final String TWO_NET_CLIENT6 = "fd00:198:18:1::2";

    final String prefix;
    final Path tmp;
    final Path socket;
    final Path log;
    private final List<Process> processes = new ArrayList<>();
    private final List<String[]> undo = new ArrayList<>();
    private final Path server;

    DrLab(String topic) throws IOException {
        prefix = topic + (ProcessHandle.current().pid() % 100_000) + "-";
        Shell.netnsLab("clean", prefix);
        tmp = Files.createTempDirectory("lbt-" + topic);
        socket = tmp.resolve("lbd.sock");
        log = tmp.resolve("lbd.log");
        server = Files.writeString(tmp.resolve("server.py"), SERVER);
    }

    String ns(String name) {
        return prefix + name;
    }

    void switchNs(String name) {
        Shell.netnsLab("switch", ns(name));
    }

    void host(String sw, String name, String address) {
        Shell.netnsLab("host", ns(sw), ns(name), address);
    }

    void link(String sw, String name, String iface, String address) {
        Shell.netnsLab("link", ns(sw), ns(name), iface, address);
    }

    /** The one-segment site: switch "sw" with the client (198.18.0.1/24) and the director ("dir", eth0) on it. */
    void oneSwitch(String directorAddress) {
        switchNs("sw");
        host("sw", "cli", "198.18.0.1/24");
        host("sw", "dir", directorAddress + "/24");
    }

    /** A gate real server on switch "sw": eth0 with the address (/24), the VIP on lo by scripts/vip-setup.sh. */
    void gateServer(String name, String address, String vip) {
        host("sw", name, address + "/24");
        vipSetup(name, "--iface", "eth0", "start", vip);
    }

    /** An IPv6 address (a /64, no duplicate address detection) on the namespace's interface. */
    void address6(String name, String iface, String address) {
        ok(name, "ip", "-6", "addr", "add", address + "/64", "dev", iface, "nodad");
    }

    /**
     * The classic two-network director: the client ({@value #TWO_NET_CLIENT}) and the director's eth0 (198.18.1.1) on
     * switch "cs", the director's eth1 (198.18.2.1) on switch "ss", and {@code router} on both (198.18.1.254 on eth0,
     * 198.18.2.254 on eth1, forwarding IPv4). The client reaches {@code vip} through the director and everything else
     * through the router. With {@code vip6}, the same in IPv6 (fd00:198:18:1::/64 and fd00:198:18:2::/64, the
     * director ::1, the router ::fe, the client {@value #TWO_NET_CLIENT6}).
     */
    void twoNetworks(String router, String vip, String vip6) {
        switchNs("cs");
        switchNs("ss");
        host("cs", "cli", TWO_NET_CLIENT + "/24");
        host("cs", "dir", "198.18.1.1/24");
        link("ss", "dir", "eth1", "198.18.2.1/24");
        host("cs", router, "198.18.1.254/24");
        link("ss", router, "eth1", "198.18.2.254/24");
        if (vip != null) {
            ok(router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            ok("cli", "ip", "route", "add", vip + "/32", "via", "198.18.1.1");
            ok("cli", "ip", "route", "add", "default", "via", "198.18.1.254");
        }
        if (vip6 != null) {
            address6("cli", "eth0", TWO_NET_CLIENT6);
            address6("dir", "eth0", "fd00:198:18:1::1");
            address6("dir", "eth1", "fd00:198:18:2::1");
            address6(router, "eth0", "fd00:198:18:1::fe");
            address6(router, "eth1", "fd00:198:18:2::fe");
            ok(router, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
            ok("cli", "ip", "-6", "route", "add", vip6 + "/128", "via", "fd00:198:18:1::1");
            ok("cli", "ip", "-6", "route", "add", "default", "via", "fd00:198:18:1::fe");
        }
    }

    Shell.Result in(String name, String... command) {
        return Shell.inNetns(ns(name), command);
    }

    void ok(String name, String... command) {
        in(name, command).assertOk(String.join(" ", command) + " in " + ns(name));
    }

    /** scripts/vip-setup.sh ARGS on the host; "stop" runs there again when the lab closes. */
    void vipSetup(String name, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Shell.script("vip-setup.sh").toString()));
        cmd.addAll(List.of(args));
        ok(name, cmd.toArray(String[]::new));
        undo.add(new String[] {name, Shell.script("vip-setup.sh").toString(), "stop"});
    }

    /** The report server on PORT in the namespace, waited for until it listens. */
    void startServer(String name, int port, String label) throws IOException, InterruptedException {
        startServer(name, port, label, false);
    }

    /** The same on IPv4 or, with {@code ipv6}, IPv6. */
    void startServer(String name, int port, String label, boolean ipv6) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(name), "python3", server.toString(),
                String.valueOf(port), label));
        if (ipv6) {
            cmd.add("6");
        }
        processes.add(new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        awaitListening(name, port);
    }

    /**
     * {@code python3 -m http.server PORT} in the namespace serving {@code root} (on every IPv4 address, or with
     * {@code ipv6} on every address), waited for until it listens; the caller may stop it earlier than the lab.
     */
    Process webServer(String name, int port, Path root, boolean ipv6) throws IOException, InterruptedException {
        Process p = spawn(name, "python3", "-m", "http.server", String.valueOf(port), "--bind", ipv6 ? "::" : "0.0.0.0",
                "--directory", root.toString());
        awaitListening(name, port);
        return p;
    }

    /** A directory for {@link #webServer}: index.html says "This is LABEL", test.html (for health checks) "foo". */
    Path webRoot(String label) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("www-" + label));
        Files.writeString(root.resolve("index.html"), "This is " + label + "\n");
        Files.writeString(root.resolve("test.html"), "foo\n");
        return root;
    }

    /** Until something in the namespace listens on the TCP port, bounded. */
    void awaitListening(String name, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (in(name, "sh", "-c", "ss -ltn | grep -q ':" + port + " '").exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nothing listens on port " + port + " in " + ns(name) + " after 20 s");
            }
            Thread.sleep(100);
        }
    }

    /** {@code curl -s -g --max-time 5 ARGS} from the namespace {@code n} times, one connection each; the bodies. */
    List<String> gets(String name, int n, String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "-s", "-g", "--max-time", "5"));
        command.addAll(List.of(args));
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bodies.add(in(name, command.toArray(String[]::new)).output().strip());
        }
        return bodies;
    }

    /** A program in the namespace, stopped when the lab closes (or earlier, by the caller). */
    Process spawn(String name, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(name)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        processes.add(p);
        return p;
    }

    /**
     * tunl0 in the namespace for an ipip real server: the kernel's, or where it has no ipip module a TUN device
     * fed by {@link #DECAPSULATOR}. Then {@code vip-setup.sh --tunnel} sets it up; {@link #awaitTunnel} waits for it.
     */
    void ipipEndpoint(String name) throws IOException {
        tunnelEndpoint(name, "ipip", "tunl0", "decapsulate.py", DECAPSULATOR);
    }

    /** The same for an IPv6-in-IPv6 real server: ip6tnl0, the kernel's or one fed by {@link #DECAPSULATOR6}. */
    void ip6ip6Endpoint(String name) throws IOException {
        tunnelEndpoint(name, "ip6_tunnel", "ip6tnl0", "decapsulate6.py", DECAPSULATOR6);
    }

    private void tunnelEndpoint(String name, String module, String device, String file, String decapsulator)
            throws IOException {
        if (in(name, "sh", "-c", "modprobe " + module + " 2>/dev/null; ip link show " + device).exitCode() != 0) {
            ok(name, "ip", "tuntap", "add", "dev", device, "mode", "tun");
            Path script = tmp.resolve(file);
            if (!Files.exists(script)) {
                Files.writeString(script, decapsulator);
            }
            spawn(name, "python3", script.toString());
        }
    }

    /** tunl0 of the namespace is attached (carrier up): the stand-in's once its decapsulator opened it. */
    void awaitTunnel(String name) {
        awaitTunnel(name, "tunl0");
    }

    /** The same for {@code device} (tunl0, ip6tnl0). */
    void awaitTunnel(String name, String device) {
        org.awaitility.Awaitility.await(device + " ready in " + ns(name)).atMost(java.time.Duration.ofSeconds(20))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> !in(name, "ip", "-o", "link", "show", device).output().contains("NO-CARRIER"));
    }

    /** lbd --config with the lines given (logfile=, checkinterval=1 and autoreload=no added) in the namespace. */
    Process startLbd(String name, String... lines) throws IOException {
        return startLbd(name, java.util.Map.of(), lines);
    }

    /** As above, with these environment variables (LBD_RUN_DIR: where a cleanstop=no stop saves the DR state). */
    Process startLbd(String name, java.util.Map<String, String> environment, String... lines) throws IOException {
        return lbd(name, environment, "--config", writeConfig(lines).toString(), "--socket", socket.toString());
    }

    /** The lab's configuration file: the lines given after logfile=, checkinterval=1 and autoreload=no. */
    Path writeConfig(String... lines) throws IOException {
        Path config = tmp.resolve("lbd.cf");
        List<String> all = new ArrayList<>(List.of("autoreload=no", "checkinterval=1", "logfile=\"" + log + "\""));
        all.addAll(List.of(lines));
        return Files.writeString(config, String.join("\n", all) + "\n");
    }

    /** lbd with these arguments in the namespace (a child JVM); its output goes to the lab's lbd.out. */
    Process lbd(String name, String... args) throws IOException {
        return lbd(name, java.util.Map.of(), args);
    }

    /** As above, with these environment variables. */
    Process lbd(String name, java.util.Map<String, String> environment, String... args) throws IOException {
        ProcessBuilder b = new ProcessBuilder(java(name, LbdMain.class, args)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("lbd.out").toFile()));
        b.environment().putAll(environment);
        Process p = b.start();
        processes.add(p);
        return p;
    }

    /** The command running {@code main} of this build's test class path with {@code args} in the namespace. */
    List<String> java(String name, Class<?> main, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns(name), java,
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp, main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** A process the caller started, stopped with the lab's own when it closes. */
    <P extends Process> P own(P process) {
        processes.add(process);
        return process;
    }

    /** Stops lbd as systemd would (SIGTERM) and waits for it. */
    static void stop(Process lbd) throws InterruptedException {
        lbd.destroy();
        assertThat(lbd.waitFor(30, TimeUnit.SECONDS)).as("lbd stops on SIGTERM").isTrue();
    }

    String lbdLog() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** lbadm -Ln through the child's control socket, in this JVM. */
    String listing(String... more) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("-Ln", "--socket", socket.toString()));
        args.addAll(List.of(more));
        int status = LbadmMain.run(args.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return status == 0 ? out.toString(StandardCharsets.UTF_8) : "lbadm failed: " + err.toString(StandardCharsets.UTF_8);
    }

    /**
     * Whether lbadm -Ln lists the real server with this forwarding word ("Route", "Tunnel") and weight 1 (an IPv6
     * address in brackets, as the listing writes it).
     */
    boolean routed(String rip, String forward) {
        String address = rip;
        if (rip.indexOf(':') >= 0) {
            try {
                address = "[" + java.net.InetAddress.getByName(rip).getHostAddress() + "]"; // a literal: no lookup
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException(rip, e);
            }
        }
        return java.util.regex.Pattern.compile("->\\s+" + java.util.regex.Pattern.quote(address + ":80") + "\\s+"
                + forward + "\\s+1\\s").matcher(listing()).find();
    }

    /** A file of random bytes (fixed seed per size) in the lab's directory. */
    Path randomFile(int size, long seed) throws IOException {
        byte[] data = new byte[size];
        new SplittableRandom(seed).nextBytes(data);
        return Files.write(tmp.resolve("payload-" + size + "-" + seed), data);
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** POSTs the file to http://URL from the namespace with curl; the server's one-line report. */
    String upload(String name, String url, Path file) {
        return in(name, "curl", "-sS", "-g", "--max-time", "15", "-H", "Expect:", "--data-binary", "@" + file, url)
                .output().strip();
    }

    /**
     * Random payloads of the sizes given (seeds {@code firstSeed}, {@code firstSeed + 1}, ...), from one byte to
     * several coalesced frames' worth, each POSTed to URL from the namespace on a connection of its own: the reports
     * of the {@link #startServer} servers name the real servers {@code inTurn} in rr order, each saw the client's own
     * address {@code client}, and every byte arrived (length and SHA-256).
     */
    void uploadsArriveWhole(String name, String url, String client, long firstSeed, List<String> inTurn, int... sizes)
            throws IOException {
        List<String> reports = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            Path payload = randomFile(sizes[i], firstSeed + i);
            reports.add(upload(name, url, payload));
            expected.add(inTurn.get(i % inTurn.size()) + " " + client + " " + sizes[i] + " " + sha256(payload));
        }
        assertThat(reports).containsExactlyElementsOf(expected);
    }

    /** Anything went wrong: the child's log and output, for the test report. */
    void dump() throws IOException {
        System.err.println("---- lbd's log ----\n" + lbdLog());
        if (Files.exists(socket)) {
            System.err.println("---- lbadm -Ln ----\n" + listing());
        }
        Path out = tmp.resolve("lbd.out");
        if (Files.exists(out)) {
            System.err.println("---- lbd's output ----\n" + Files.readString(out));
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        processes.forEach(Process::destroy);
        for (Process p : processes) {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        for (String[] u : undo) {
            Shell.attempt(List.of("ip", "netns", "exec", ns(u[0]), u[1], u[2]));
        }
        Shell.netnsLab("clean", prefix);
        try (Stream<Path> files = Files.walk(tmp)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
