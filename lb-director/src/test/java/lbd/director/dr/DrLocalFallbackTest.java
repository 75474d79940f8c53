package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
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

    private static final String VIP = "198.18.0.60";
    private static final String DIRECTOR_IP = "198.18.0.61";
    private static final String VM2_IP = "198.18.0.62";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);
    private static final int UPLOAD = 4_000_000;

    // The client's TCP sends coalesced (TSO) frames with checksums left to the hardware: the director's stack
    // must get them whole and checked.
    private static final String UPLOADER = String.join("\n",
            "import socket",
            "c = socket.create_connection(('" + VIP + "', 9000), timeout=10)",
            "c.sendall(b'x' * " + UPLOAD + "); c.shutdown(socket.SHUT_WR)",
            "print(c.recv(100).decode()); c.close()",
            "");

    @Test
    void theDirectorsOwnServerAnswersWhileEveryRealServerIsDown() throws Exception {
        assumeTrue(Shell.isRoot(), "DrLocalFallbackTest needs root (network namespaces, AF_PACKET, tun); skipped");
        DrLab lab = new DrLab("drfb");
        boolean passed = false;
        try {
            lab.oneSwitch(DIRECTOR_IP);
            lab.gateServer("vm2", VM2_IP, VIP);
            Path vm2Root = lab.webRoot("VM2");
            Path sorryRoot = Files.createDirectories(lab.tmp.resolve("sorry"));
            Files.writeString(sorryRoot.resolve("index.html"), "Sorry, the director answers\n");
            lab.webServer("dir", 80, sorryRoot, false);
            Path sink = Files.writeString(lab.tmp.resolve("sink.py"), DrLab.COUNTING_SINK);
            Path uploader = Files.writeString(lab.tmp.resolve("upload.py"), UPLOADER);
            lab.spawn("dir", "python3", sink.toString(), "director");

            Process lbd = lab.startLbd("dir",
                    "checktimeout=2",
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
                    " checktype=connect");
            await("the sorry server answers through the VIP").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(500))
                    .until(() -> lbd.isAlive() && curls(lab, 1).equals(List.of("Sorry, the director answers")));
            assertThat(curls(lab, 4)).containsOnly("Sorry, the director answers");
            // The upload's service has verdicts of its own: its fallback too, and the director's sink listening.
            lab.awaitListening("dir", 9000);
            await("the upload's service falls back").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.listing().contains("-> 127.0.0.1:9000"));
            assertThat(lab.in("cli", "python3", uploader.toString()).assertOk("upload").output().strip())
                    .isEqualTo("director got " + UPLOAD);
            assertThat(lab.in("dir", "ip", "route", "get", VIP, "from", "198.18.0.1", "iif", "eth0")
                    .output()).as("the VIP is not local to the director's kernel on the wire")
                    .doesNotContain("local");

            Process vm2 = lab.webServer("vm2", 80, vm2Root, false);
            await("VM2 in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.listing().contains("-> " + VM2_IP + ":80"));
            assertThat(curls(lab, 4)).containsOnly("This is VM2");

            vm2.destroy();
            assertThat(vm2.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await("VM2 out of the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !lab.listing().contains("-> " + VM2_IP + ":80"));
            assertThat(curls(lab, 2)).containsOnly("Sorry, the director answers");

            DrLab.stop(lbd);
            assertThat(lab.in("dir", "ip", "rule").output()).doesNotContain("lbd-local");
            assertThat(lab.in("dir", "ip", "link", "show", "lbd-local").exitCode()).isNotZero();
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** GET /index.html from the client, n times, one connection each (at most 3 s each). */
    private static List<String> curls(DrLab lab, int n) {
        return lab.gets("cli", n, "--max-time", "3", "http://" + VIP + "/index.html");
    }
}
