package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import lbd.dataplane.dr.Shell;
import lbd.director.ProcCpu;
import lbd.director.cli.LbadmMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first field guide (ha-lb-cluster-centos5-ldirectord-dr) end to end, in network namespaces: a client, the
 * director running {@code lbd --config} (child JVM) with the guide's ldirectord.cf (only its addresses
 * changed: 10.10.10.x becomes 198.18.0.x; checkinterval=1, eventloops=1 and interface=eth0 added), and two
 * real servers VM2 and VM3 prepared with scripts/vip-setup.sh, on one bridge (scripts/netns-lab.sh).
 * The guide's tests: six curls alternate VM3, VM2, ...; ipvsadm -l shows both as Route with weight 1; stop
 * httpd on one web server and every request is served by the other (quiescent=no: its row leaves the table,
 * lbadm notes why under the service); it comes back when started again. Also: lbd refuses to start while the
 * director forwards IPv4;
 * after the director's interface went down and up its DR workers sleep when idle and forward again; and when the
 * interface is removed, lbd's log says so.
 */
@Timeout(180)
class SeedDirectRoutingTest {

    private static final String VIP = "198.18.0.60";
    private static final String VM2_IP = "198.18.0.62";
    private static final String VM3_IP = "198.18.0.63";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);
    private static final Predicate<String> DR_WORKER = name -> name.startsWith("lbd-dr-");

    @Test
    void theFieldGuidesDirectRoutingClusterWorksAsWritten() throws Exception {
        assumeTrue(Shell.isRoot(), "SeedDirectRoutingTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("seed");
        Path socket = lab.socket;
        boolean passed = false;
        try {
            lab.oneSwitch("198.18.0.61");
            lab.gateServer("vm2", VM2_IP, VIP);
            lab.gateServer("vm3", VM3_IP, VIP);
            Path vm2Root = lab.webRoot("VM2");
            Path vm3Root = lab.webRoot("VM3");
            lab.webServer("vm2", 80, vm2Root, false);
            Process vm3Httpd = lab.webServer("vm3", 80, vm3Root, false);

            Path config = lab.writeConfig(
                    "checktimeout=10",
                    "quiescent=no",
                    "eventloops=1",
                    "interface=eth0",
                    "metrics=127.0.0.1:9108", // the director namespace's own loopback
                    "virtual=" + VIP + ":80",
                    " real=" + VM2_IP + ":80 gate",
                    " real= " + VM3_IP + ":80 gate",
                    " service=http",
                    " request=\"test.html\"",
                    " receive=\"foo\"",
                    " scheduler=wrr",
                    " protocol=tcp",
                    " checktype=negotiate");

            // lbd checks the host first: a director that forwards IPv4 is refused with the fix, exit status 1.
            lab.ok("dir", "sysctl", "-qw", "net.ipv4.ip_forward=1");
            Process refused = lab.lbd("dir", "--config", config.toString(), "--socket", socket.toString());
            assertThat(refused.waitFor(60, TimeUnit.SECONDS)).as("lbd exits when refused").isTrue();
            assertThat(refused.exitValue()).isEqualTo(1);
            assertThat(lab.lbdLog()).contains("lbd could not start: net.ipv4.ip_forward is 1 but must be 0")
                    .contains("sysctl -w net.ipv4.ip_forward=0");
            lab.ok("dir", "sysctl", "-qw", "net.ipv4.ip_forward=0");

            Process lbd = lab.lbd("dir", "--config", config.toString(), "--socket", socket.toString());
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.routed(VM2_IP, "Route") && lab.routed(VM3_IP, "Route"));
            String table = lab.listing();
            assertThat(table).containsPattern("TCP\\s+" + VIP.replace(".", "\\.") + ":80 wrr");

            // "for i in $(seq 6); do curl http://10.10.10.60/index.html; done"
            assertThat(curls(lab, 6)).containsExactly(
                    "This is VM3", "This is VM2", "This is VM3", "This is VM2", "This is VM3", "This is VM2");
            assertThat(lab.listing("--stats")).as("the DR workers' counters reach lbadm -Ln --stats")
                    .containsPattern("->\\s+" + VM3_IP.replace(".", "\\.") + ":80\\s+3\\s")
                    .containsPattern("->\\s+" + VM2_IP.replace(".", "\\.") + ":80\\s+3\\s");
            // The director's kernel got its copy of those frames only to drop it: lbd's ingress rule dropped it first.
            java.util.regex.Matcher named = java.util.regex.Pattern.compile("nft list table netdev (lbd_dr_\\d+)")
                    .matcher(lab.lbdLog());
            assertThat(named.find()).as("lbd names its table in the log").isTrue();
            assertThat(lab.in("dir", "nft", "list", "table", "netdev", named.group(1)).output())
                    .containsPattern("tcp \\. " + VIP.replace(".", "\\.") + " \\. 80 counter packets [1-9]\\d* ");

            // "Then stop httpd on one web server ... all requests should now be served from the other web server."
            vm3Httpd.destroy();
            assertThat(vm3Httpd.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await("VM3 leaves the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !lab.listing().contains("-> " + VM3_IP + ":80"));
            assertThat(lab.listing()).as("quiescent=no: no row for VM3, only lbd's note why")
                    .doesNotContain("-> " + VM3_IP).contains("-- " + VM3_IP + ":80 held out")
                    .containsPattern(row(VM2_IP));
            assertThat(curls(lab, 4)).containsOnly("This is VM2");

            lab.webServer("vm3", 80, vm3Root, false);
            await("VM3 back in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.routed(VM3_IP, "Route"));
            assertThat(curls(lab, 4)).containsOnly("This is VM3", "This is VM2").contains("This is VM3", "This is VM2");

            // A gate real server nobody answers ARP for is held down, and the listing says it is the MAC.
            String ghost = "198.18.0.64";
            assertThat(LbadmMain.run(new String[] {"-a", "-t", VIP + ":80", "-r", ghost + ":80", "-g", "-w", "1",
                "--socket", socket.toString()}, System.out, System.err)).isZero();
            await("the unresolved server is held down").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.listing().contains("MAC address of " + ghost + " not resolved on eth0"));
            assertThat(lab.listing()).doesNotContain("-> " + ghost).contains("-- " + ghost + ":80 held out");
            assertThat(curls(lab, 2)).containsOnly("This is VM3", "This is VM2");

            // The DR counters reach lbadm (-L --json) and the metrics, with the flow tables and the ARP state.
            String json = lab.listing("--json");
            assertThat(json).contains("\"directRouting\":{").containsPattern("\"forwarded\":[1-9]")
                    .as("without xdp=yes nothing leaves through AF_XDP").contains("\"sentThroughAfXdp\":0,")
                    .contains("\"unresolved\":[{\"service\":{\"protocol\":\"tcp\",\"address\":\"" + VIP
                            + "\",\"port\":80},\"address\":\"" + ghost + "\",\"port\":80}]");
            String metrics = lab.in("dir", "curl", "-s", "--max-time", "5", "http://127.0.0.1:9108/metrics")
                    .assertOk("scrape").output();
            String labels = "{protocol=\"tcp\",server=\"%s:80\",service=\"" + VIP + ":80\"}";
            assertThat(metrics).containsPattern("lbd_dr_frames_forwarded_total [1-9]")
                    .contains("lbd_dr_frames_sent_through_af_xdp_total 0")
                    .containsPattern("lbd_dr_frames_received_total [1-9]")
                    .containsPattern("lbd_dr_replies_sent_total\\{kind=\"arp\"} [1-9]")
                    .contains("lbd_dr_frames_dropped_total{reason=\"no-service\"}")
                    .containsPattern("lbd_dr_flow_table_capacity\\{worker=\"0\"} [1-9]")
                    .contains("lbd_dr_neighbour_resolved" + labels.formatted(VM2_IP) + " 1")
                    .contains("lbd_dr_neighbour_resolved" + labels.formatted(ghost) + " 0");
            assertThat(lab.in("dir", "curl", "-s", "--max-time", "5", "http://127.0.0.1:9108/status.json")
                    .assertOk("status").output()).contains("\"kind\":\"status\"").contains("\"directRouting\":{");

            // The director's interface goes down and comes back (a cable pulled and put back): idle, the workers
            // sleep, and they forward again. The ENETDOWN the kernel leaves on their sockets made them spin until
            // they next sent a frame through the socket (a forward, an ARP reply): here, with nothing to send.
            lab.ok("dir", "ip", "link", "set", "eth0", "down");
            lab.ok("dir", "ip", "link", "set", "eth0", "up");
            long before = drWorkersCpuTicks(lbd.pid());
            Thread.sleep(2_000);
            assertThat(drWorkersCpuTicks(lbd.pid()) - before)
                    .as("the DR workers' CPU in 2 s idle after the flap, in 10 ms ticks (spinning: ~200 a worker)")
                    .isLessThan(50);
            await("forwarding again after the interface came back").atMost(HEALTH_BOUND)
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> curls(lab, 2).stream().allMatch(b -> b.matches("This is VM[23]")));

            // The interface removed (as ifdown does to a VLAN interface): lbd says so, and what to do, within one
            // resolution round (every 5 s).
            lab.ok("dir", "ip", "link", "del", "eth0");
            await("lbd reports the removed interface").atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.lbdLog().contains("direct routing: eth0 (index "));
            assertThat(lab.lbdLog())
                    .containsPattern("eth0 \\(index \\d+\\) was removed: lbd no longer receives or sends")
                    .contains("Run lbd upgrade once it is");
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** The CPU time (utime + stime, in clock ticks) of process {@code pid}'s DR worker threads ("lbd-dr-N"). */
    private static long drWorkersCpuTicks(long pid) throws IOException {
        assertThat(ProcCpu.threadCount(pid, DR_WORKER)).as("DR worker threads in process %d", pid).isPositive();
        return ProcCpu.threadTicks(pid, DR_WORKER);
    }

    /** A destination row: "-> RIP:80   Route   1". */
    private static String row(String rip) {
        return "->\\s+" + rip.replace(".", "\\.") + ":80\\s+Route\\s+1";
    }

    /** GET /index.html from the client, n times, one connection each. */
    private static List<String> curls(DrLab lab, int n) {
        return lab.gets("cli", n, "http://" + VIP + "/index.html");
    }
}
