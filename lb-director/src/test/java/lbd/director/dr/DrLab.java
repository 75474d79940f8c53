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
 * The namespace plumbing of the DR topology tests (two-interface directors, ipip across routers): namespaces named
 * with a per-run prefix, real servers that report what they received, lbd as a child JVM with its control socket,
 * and cleanup of all of it. Tests only; one per test method.
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
    static final String DECAPSULATOR = String.join("\n",
            "import fcntl, os, socket, struct",
            "fd = os.open('/dev/net/tun', os.O_RDWR)",
            "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'tunl0', 0x0001 | 0x1000))  # TUNSETIFF: TUN, NO_PI",
            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)",
            "while True:",
            "    p = s.recv(65535)",
            "    os.write(fd, p[(p[0] & 0x0f) * 4:])",
            "");

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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (in(name, "sh", "-c", "ss -ltn | grep -q ':" + port + " '").exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server in " + ns(name) + " does not listen after 20 s");
            }
            Thread.sleep(100);
        }
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
        if (in(name, "sh", "-c", "modprobe ipip 2>/dev/null; ip link show tunl0").exitCode() != 0) {
            ok(name, "ip", "tuntap", "add", "dev", "tunl0", "mode", "tun");
            Path script = tmp.resolve("decapsulate.py");
            if (!Files.exists(script)) {
                Files.writeString(script, DECAPSULATOR);
            }
            spawn(name, "python3", script.toString());
        }
    }

    /** tunl0 of the namespace is attached (carrier up): the stand-in's once its decapsulator opened it. */
    void awaitTunnel(String name) {
        org.awaitility.Awaitility.await("tunl0 ready in " + ns(name)).atMost(java.time.Duration.ofSeconds(20))
                .pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> !in(name, "ip", "-o", "link", "show", "tunl0").output().contains("NO-CARRIER"));
    }

    /** lbd --config with the lines given (logfile=, checkinterval=1 and autoreload=no added) in the namespace. */
    Process startLbd(String name, String... lines) throws IOException {
        return startLbd(name, java.util.Map.of(), lines);
    }

    /** As above, with these environment variables (LBD_RUN_DIR: where a cleanstop=no stop saves the DR state). */
    Process startLbd(String name, java.util.Map<String, String> environment, String... lines) throws IOException {
        Path config = tmp.resolve("lbd.cf");
        List<String> all = new ArrayList<>(List.of("autoreload=no", "checkinterval=1", "logfile=\"" + log + "\""));
        all.addAll(List.of(lines));
        Files.writeString(config, String.join("\n", all) + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder b = new ProcessBuilder("ip", "netns", "exec", ns(name), java,
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp", cp, LbdMain.class.getName(), "--config", config.toString(), "--socket",
                socket.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("lbd.out").toFile()));
        b.environment().putAll(environment);
        Process p = b.start();
        processes.add(p);
        return p;
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
