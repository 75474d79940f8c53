package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.DrDataPlane;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The seed's test, in network namespaces: a client, a director running {@link DrDataPlane} (child JVM), and
 * two real servers prepared with scripts/vip-setup.sh, all on one bridge in a "switch" namespace. Six
 * connections to the VIP alternate between VM3 and VM2 (rr over [VM3, VM2], as ipvsadm lists them); six to the
 * persistent port 8000 all go to one of them. Then
 * bulk uploads through the director: the client's TCP sends coalesced (TSO) frames far larger than the MTU,
 * which the director must hand back to the kernel for segmentation rather than fail to send.
 */
@Timeout(120)
class DrEndToEndTest {

    private static final String PREFIX = "lbt-dr-";
    private static final String SW = PREFIX + "sw";
    private static final String CLIENT = PREFIX + "cli";
    private static final String DIRECTOR = PREFIX + "dir";
    private static final String VM2 = PREFIX + "vm2";
    private static final String VM3 = PREFIX + "vm3";
    private static final String VIP = "198.18.0.100";
    private static final int UPLOAD = 4_000_000;

    // A TCP sink on port 9000: reads until the client shuts down its half, answers with the byte count.
    private static final String SINK = String.join("\n",
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
    private static final String UPLOADER = String.join("\n",
            "import socket",
            "for i in range(2):",
            "    c = socket.create_connection(('" + VIP + "', 9000), timeout=10)",
            "    c.sendall(b'x' * " + UPLOAD + "); c.shutdown(socket.SHUT_WR)",
            "    print(c.recv(100).decode()); c.close()",
            "");

    private final List<Process> processes = new ArrayList<>();

    @Test
    void connectionsToTheVipAlternateBetweenTheRealServers() throws Exception {
        assumeTrue(Shell.isRoot(), "the DR end-to-end test needs root (network namespaces, AF_PACKET); skipped");
        Shell.netnsLab("clean", PREFIX);
        String script = Shell.script("vip-setup.sh").toString();
        Path www = Files.createTempDirectory("lbt-dr-www");
        Process director = null;
        try {
            Shell.netnsLab("switch", SW);
            host(CLIENT, "198.18.0.1");
            host(DIRECTOR, "198.18.0.10");
            host(VM2, "198.18.0.2");
            host(VM3, "198.18.0.3");

            for (String vm : List.of(VM2, VM3)) {
                String name = vm.equals(VM2) ? "VM2" : "VM3";
                Shell.inNetns(vm, script, "--iface", "eth0", "start", VIP).assertOk("vip-setup on " + vm);
                Path root = Files.createDirectories(www.resolve(name));
                Files.writeString(root.resolve("index.html"), "This is " + name + "\n");
                for (String port : List.of("80", "8000")) {
                    processes.add(new ProcessBuilder("ip", "netns", "exec", vm, "python3", "-m", "http.server", port,
                            "--bind", "0.0.0.0", "--directory", root.toString())
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
                }
            }
            Path sink = Files.writeString(www.resolve("sink.py"), SINK);
            Path uploader = Files.writeString(www.resolve("upload.py"), UPLOADER);
            for (String vm : List.of(VM2, VM3)) {
                processes.add(new ProcessBuilder("ip", "netns", "exec", vm, "python3", sink.toString(),
                        vm.equals(VM2) ? "VM2" : "VM3")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            for (String vm : List.of(VM2, VM3)) {
                awaitListening(vm, 80);
                awaitListening(vm, 8000);
                awaitListening(vm, 9000);
            }

            // The director refuses to start while it forwards IPv4, naming the fix.
            Shell.inNetns(DIRECTOR, "sysctl", "-qw", "net.ipv4.ip_forward=1").assertOk("forwarding on");
            Process refused = startDirector();
            String refusal = readLine(refused, 30);
            assertThat(refused.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(refused.exitValue()).isEqualTo(2);
            assertThat(refusal).contains("net.ipv4.ip_forward is 1 but must be 0")
                    .contains("sysctl -w net.ipv4.ip_forward=0");
            Shell.inNetns(DIRECTOR, "sysctl", "-qw", "net.ipv4.ip_forward=0").assertOk("forwarding off");

            director = startDirector();
            assertThat(readLine(director, 30)).as("director start").isEqualTo("READY unresolved=0 ring=true");

            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Shell.Result r = Shell.inNetns(CLIENT, "curl", "-s", "--max-time", "5", "http://" + VIP + "/");
                answers.add(r.output().strip());
            }
            assertThat(answers).containsExactly(
                    "This is VM3", "This is VM2", "This is VM3", "This is VM2", "This is VM3", "This is VM2");

            // Port 8000 is persistent: every connection of the client goes where its first went.
            List<String> persistent = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Shell.Result r = Shell.inNetns(CLIENT, "curl", "-s", "--max-time", "5", "http://" + VIP + ":8000/");
                persistent.add(r.output().strip());
            }
            assertThat(persistent).containsOnly(persistent.getFirst()).hasSize(6);
            assertThat(persistent.getFirst()).isIn("This is VM3", "This is VM2");

            Shell.Result uploads = Shell.inNetns(CLIENT, "python3", uploader.toString()).assertOk("uploads");
            assertThat(uploads.output().strip().split("\n"))
                    .containsExactly("VM3 got " + UPLOAD, "VM2 got " + UPLOAD);

            PrintWriter control = new PrintWriter(director.getOutputStream(), true, StandardCharsets.UTF_8);
            control.println("stats");
            String stats = readLine(director, 10);
            assertThat(stats).contains("198.18.0.2:80 conns=3").contains("198.18.0.3:80 conns=3")
                    .contains("198.18.0.2:9000 conns=1").contains("198.18.0.3:9000 conns=1")
                    .contains("arp-replies-sent=").doesNotContain("send-failed");

            // lbadm -Lnc's view of the flows: each finished connection to port 80 in a closing state of the
            // client's half, with its real server; the persistent port's template is not the data plane's to list.
            control.println("connections");
            String connections = readLine(director, 10);
            assertThat(connections).startsWith("CONNECTIONS IPVS connection entries|pro expire state ");
            List<String> rows = List.of(connections.split("\\|"));
            assertThat(rows.stream().filter(r -> r.matches("TCP \\d\\d:\\d\\d  \\S+ +198\\.18\\.0\\.1:\\d+ +"
                    + "198\\.18\\.0\\.100:80 +198\\.18\\.0\\.3:80"))).as("%s", connections).hasSize(3);
            assertThat(rows.stream().filter(r -> r.contains(" 198.18.0.100:8000 "))).hasSize(6);
            control.println("quit");
            assertThat(readLine(director, 10)).isEqualTo("STOPPED");
        } finally {
            if (director != null) {
                director.destroyForcibly();
            }
            processes.forEach(Process::destroyForcibly);
            for (String vm : List.of(VM2, VM3)) {
                Shell.inNetns(vm, script, "stop");
            }
            Shell.netnsLab("clean", PREFIX);
            try (var files = Files.walk(www)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A namespace with eth0 (ADDRESS/24) cabled to the bridge in the switch namespace. */
    private static void host(String ns, String address) {
        Shell.netnsLab("host", SW, ns, address + "/24");
    }

    private static void awaitListening(String ns, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (Shell.inNetns(ns, "sh", "-c", "ss -ltn | grep -q ':" + port + " '").exitCode() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nothing listens on port " + port + " in " + ns + " after 20 s");
    }

    private Process startDirector() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder("ip", "netns", "exec", DIRECTOR, java, "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-cp", cp, DrTestMain.class.getName(), "eth0", VIP, "80,9000,8000p", "1", "198.18.0.3",
                "198.18.0.2").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(p);
        return p;
    }

    /** The next stdout line of a child, waiting at most the given seconds. */
    private static String readLine(Process p, int seconds) throws InterruptedException {
        BlockingQueue<String> q = new ArrayBlockingQueue<>(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                BufferedReader r = readers.computeIfAbsent(p, k -> new BufferedReader(
                        new InputStreamReader(k.getInputStream(), StandardCharsets.UTF_8)));
                String line = r.readLine();
                q.offer(line == null ? "<eof>" : line);
            } catch (IOException e) {
                q.offer("<" + e.getMessage() + ">");
            }
        });
        String line = q.poll(seconds, TimeUnit.SECONDS);
        if (line == null) {
            reader.interrupt();
            throw new AssertionError("no output from the director within " + seconds + " s");
        }
        return line;
    }

    private static final java.util.Map<Process, BufferedReader> readers = new java.util.concurrent.ConcurrentHashMap<>();
}
