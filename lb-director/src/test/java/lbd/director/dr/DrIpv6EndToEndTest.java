package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
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

    private static final String NET = "fd00:198:18::";
    private static final String VIP = NET + "60";
    private static final String CLIENT_IP = NET + "1";
    private static final String CLIENT_IP2 = NET + "11";
    private static final String VM2_IP = NET + "62";
    private static final String VM3_IP = NET + "63";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);

    @Test
    void curlOverIpv6ReachesBothRealServersThroughTheVip() throws Exception {
        assumeTrue(Shell.isRoot(), "DrIpv6EndToEndTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("dr6");
        boolean passed = false;
        try {
            lab.oneSwitch("198.18.0.61");
            lab.address6("cli", "eth0", CLIENT_IP);
            lab.address6("cli", "eth0", CLIENT_IP2);
            lab.address6("dir", "eth0", NET + "61");
            Path vm2Root = lab.webRoot("VM2");
            Path vm3Root = lab.webRoot("VM3");
            for (String[] vm : List.of(new String[] {"vm2", "198.18.0.62", VM2_IP}, new String[] {"vm3", "198.18.0.63",
                VM3_IP})) {
                lab.host("sw", vm[0], vm[1] + "/24");
                lab.address6(vm[0], "eth0", vm[2]);
                lab.vipSetup(vm[0], "--iface", "eth0", "start", VIP);
            }
            lab.spawn("vm2", "python3", "-m", "http.server", "8000", "--bind", "::", "--directory", vm2Root.toString());
            lab.spawn("vm3", "python3", "-m", "http.server", "8000", "--bind", "::", "--directory", vm3Root.toString());
            lab.webServer("vm2", 80, vm2Root, true);
            Process vm3Httpd = lab.webServer("vm3", 80, vm3Root, true);

            Path config = lab.writeConfig(
                    "checktimeout=2",
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
                    " checktype=connect");

            Process check = lab.lbd("dir", "--check", config.toString());
            assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(check.exitValue()).as("lbd --check accepts what lbd starts").isZero();

            Process lbd = lab.lbd("dir", "--config", config.toString(), "--socket", lab.socket.toString());
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.routed(VM2_IP, "Route") && lab.routed(VM3_IP, "Route"));

            List<String> answers = curls(lab, CLIENT_IP, 80, 6);
            assertThat(answers).containsOnly("This is VM2", "This is VM3");
            for (int i = 1; i < answers.size(); i++) {
                assertThat(answers.get(i)).as("rr alternates: answer " + i + " of " + answers)
                        .isNotEqualTo(answers.get(i - 1));
            }
            assertThat(lab.in("cli", "ip", "-6", "neigh", "show", VIP).output())
                    .as("the client learnt the VIP by neighbour discovery").contains("lladdr");

            // netmask=64: both client addresses are one client network, so one template and one server.
            List<String> persistent = new ArrayList<>(curls(lab, CLIENT_IP, 8000, 3));
            persistent.addAll(curls(lab, CLIENT_IP2, 8000, 3));
            assertThat(persistent).hasSize(6).containsOnly(persistent.getFirst());
            assertThat(persistent.getFirst()).isIn("This is VM2", "This is VM3");

            vm3Httpd.destroy();
            assertThat(vm3Httpd.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await("VM3 leaves the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !lab.routed(VM3_IP, "Route"));
            assertThat(curls(lab, CLIENT_IP, 80, 4)).containsOnly("This is VM2");

            lab.webServer("vm3", 80, vm3Root, true);
            await("VM3 back in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.routed(VM3_IP, "Route"));
            assertThat(curls(lab, CLIENT_IP, 80, 4)).contains("This is VM2", "This is VM3");
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** GET /index.html from the client's address {@code from}, n times, one connection each. */
    private static List<String> curls(DrLab lab, String from, int port, int n) {
        return lab.gets("cli", n, "-6", "--interface", from, "http://[" + VIP + "]:" + port + "/index.html");
    }
}
