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

    private static final String VIP = "198.18.0.100";
    private static final int UPLOAD = 4_000_000;

    private static final String UPLOADER = String.join("\n",
            "import socket",
            "for i in range(2):",
            "    c = socket.create_connection(('" + VIP + "', 9000), timeout=10)",
            "    c.sendall(b'x' * " + UPLOAD + "); c.shutdown(socket.SHUT_WR)",
            "    print(c.recv(100).decode()); c.close()",
            "");

    @Test
    void connectionsToTheVipAlternateBetweenTheRealServers() throws Exception {
        assumeTrue(Shell.isRoot(), "the DR end-to-end test needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("dre");
        boolean passed = false;
        try {
            lab.oneSwitch("198.18.0.10");
            Path sink = Files.writeString(lab.tmp.resolve("sink.py"), DrLab.COUNTING_SINK);
            Path uploader = Files.writeString(lab.tmp.resolve("upload.py"), UPLOADER);
            for (String[] vm : List.of(new String[] {"vm2", "198.18.0.2", "VM2"},
                    new String[] {"vm3", "198.18.0.3", "VM3"})) {
                lab.gateServer(vm[0], vm[1], VIP);
                Path root = lab.webRoot(vm[2]);
                lab.webServer(vm[0], 80, root, false);
                lab.webServer(vm[0], 8000, root, false);
                lab.spawn(vm[0], "python3", sink.toString(), vm[2]);
                lab.awaitListening(vm[0], 9000);
            }

            // The director refuses to start while it forwards IPv4, naming the fix.
            lab.ok("dir", "sysctl", "-qw", "net.ipv4.ip_forward=1");
            Process refused = startDirector(lab);
            String refusal = readLine(refused, 30);
            assertThat(refused.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(refused.exitValue()).isEqualTo(2);
            assertThat(refusal).contains("net.ipv4.ip_forward is 1 but must be 0")
                    .contains("sysctl -w net.ipv4.ip_forward=0");
            lab.ok("dir", "sysctl", "-qw", "net.ipv4.ip_forward=0");

            Process director = startDirector(lab);
            assertThat(readLine(director, 30)).as("director start").isEqualTo("READY unresolved=0 ring=true");

            assertThat(lab.gets("cli", 6, "http://" + VIP + "/")).containsExactly(
                    "This is VM3", "This is VM2", "This is VM3", "This is VM2", "This is VM3", "This is VM2");

            // Port 8000 is persistent: every connection of the client goes where its first went.
            List<String> persistent = lab.gets("cli", 6, "http://" + VIP + ":8000/");
            assertThat(persistent).containsOnly(persistent.getFirst()).hasSize(6);
            assertThat(persistent.getFirst()).isIn("This is VM3", "This is VM2");

            Shell.Result uploads = lab.in("cli", "python3", uploader.toString()).assertOk("uploads");
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
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** The data plane alone (DrTestMain) in the director's namespace; it talks on its standard input and output. */
    private static Process startDirector(DrLab lab) throws IOException {
        return lab.own(new ProcessBuilder(lab.java("dir", DrTestMain.class, "eth0", VIP, "80,9000,8000p", "1",
                "198.18.0.3", "198.18.0.2")).redirectError(ProcessBuilder.Redirect.INHERIT).start());
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
