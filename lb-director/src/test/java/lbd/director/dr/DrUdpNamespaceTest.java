package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import lbd.director.cli.LbadmMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A DNS farm behind a UDP gate VIP, in network namespaces ({@link DrLab}): lbd --config with {@code protocol=udp},
 * {@code service=dns} and two gate real servers prepared with scripts/vip-setup.sh, each running a real dnsmasq
 * that answers its own address for one name, on the VIP and on its own address (the dns check's); the client asks
 * with dig. Every query is a new flow (dig's new source port): rr alternates between the servers; a stopped
 * dnsmasq leaves the table after its dns check fails, and every answer then comes from the other; lbadm lists the
 * service as ipvsadm lists UDP, with Route entries (Tunnel for ipip); a restart with cleanstop=no carries the
 * flows on to the servers they had. Needs root, dnsmasq and dig; skips otherwise.
 */
@Timeout(180)
class DrUdpNamespaceTest {

    private static final String VIP = "198.18.0.100";
    private static final String VM2 = "198.18.0.2";
    private static final String VM3 = "198.18.0.3";
    private static final String NAME = "www.farm.test";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);

    @Test
    void roundRobinAlternatesOverGateDnsServersAndAStoppedOneLeaves() throws Exception {
        dnsFarm("gate", "Route");
    }

    /**
     * The same with ipip: each datagram in an outer IPv4 header to the real server, which decapsulates it on tunl0
     * (the kernel's, or {@link DrLab#DECAPSULATOR}'s stand-in) and answers the client from the VIP.
     */
    @Test
    void roundRobinAlternatesOverIpipDnsServersAndAStoppedOneLeaves() throws Exception {
        dnsFarm("ipip", "Tunnel");
    }

    private void dnsFarm(String forward, String listed) throws Exception {
        assumeTrue(Shell.isRoot(), "DrUdpNamespaceTest needs root (network namespaces, AF_PACKET); skipped");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")) && Files.isExecutable(Path.of("/usr/bin/dig")),
                "dnsmasq (dnsmasq-base) or dig (bind9-dnsutils) is absent: CI installs both");
        boolean ipip = forward.equals("ipip");
        DrLab lab = new DrLab(ipip ? "drt" : "dru");
        boolean passed = false;
        try {
            List<Process> dns = farm(lab, ipip);
            Process lbd = lab.startLbd("dir",
                    "quiescent=no",
                    "eventloops=1", // one DR worker, so one rr sequence (each worker schedules its own flows)
                    "negotiatetimeout=1",
                    "virtual=" + VIP + ":53",
                    "\tprotocol=udp",
                    "\treal=" + VM2 + ":53 " + forward,
                    "\treal=" + VM3 + ":53 " + forward,
                    "\tservice=dns",
                    "\trequest=\"" + NAME + "\"",
                    "\treceive=\"198\\.18\\.0\\.\"",
                    "\tscheduler=rr",
                    "\tchecktype=negotiate");
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.listing().contains("-> " + VM2 + ":53")
                            && lab.listing().contains("-> " + VM3 + ":53"));

            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                answers.add(dig(lab, "cli", VIP));
            }
            assertThat(answers).as("rr, a flow per query").containsOnly(VM2, VM3);
            for (int i = 1; i < answers.size(); i++) {
                assertThat(answers.get(i)).as("answers %s alternate", answers).isNotEqualTo(answers.get(i - 1));
            }
            String listing = lab.listing();
            assertThat(listing.lines().toList()).contains("UDP  " + VIP + ":53 rr");
            // Six flows, each counted as IPVS counts UDP: InActConn, never ActiveConn.
            for (String rip : List.of(VM2, VM3)) {
                assertThat(listing).containsPattern("->\\s+" + rip.replace(".", "\\.")
                        + ":53\\s+" + listed + "\\s+1\\s+0\\s+3\\b");
            }
            // lbadm -Lnc: each flow in state UDP, with IPVS's UDP timeout (300 s) left; lbadm --set's udp drives it.
            assertThat(lab.listing("-c").lines().filter(l -> l.matches("UDP\\s+04:\\d\\d\\s+UDP\\s.*"
                    + java.util.regex.Pattern.quote(VIP + ":53") + ".*"))).hasSize(6);
            assertThat(LbadmMain.run(new String[] {"--set", "0", "0", "7", "--socket", lab.socket.toString()},
                    System.out, System.err)).isZero();
            assertThat(dig(lab, "cli", VIP)).isIn(VM2, VM3);
            await("a new flow under the udp timeout set").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> lab.listing("-c").lines().anyMatch(l -> l.matches("UDP\\s+00:0[0-7]\\s+UDP\\s.*")));

            dns.get(1).destroy();
            assertThat(dns.get(1).waitFor(10, TimeUnit.SECONDS)).as("dnsmasq in vm3 stops").isTrue();
            await("the stopped server leaves after its dns check fails").atMost(HEALTH_BOUND)
                    .pollInterval(Duration.ofMillis(250)).until(() -> !lab.listing().contains("-> " + VM3 + ":53"));
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                after.add(dig(lab, "cli", VIP));
            }
            assertThat(after).containsOnly(VM2);

            DrLab.stop(lbd);
            assertThat(lab.lbdLog()).as("a clean stop logs no error").doesNotContain("ERROR");
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /**
     * cleanstop=no carries the UDP flows on across a restart, as the TCP connections: each client port's next
     * datagram goes to the server it had, not to rr's next choice (asked in another order than before, rr alone
     * would give each port the other server).
     */
    @Test
    void udpFlowsAreCarriedOnAcrossARestartWithCleanstopNo() throws Exception {
        assumeTrue(Shell.isRoot(), "DrUdpNamespaceTest needs root (network namespaces, AF_PACKET); skipped");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")) && Files.isExecutable(Path.of("/usr/bin/dig")),
                "dnsmasq (dnsmasq-base) or dig (bind9-dnsutils) is absent: CI installs both");
        DrLab lab = new DrLab("drr");
        boolean passed = false;
        try {
            farm(lab, false);
            Path runDir = Files.createDirectories(lab.tmp.resolve("run"));
            java.util.Map<String, String> env = java.util.Map.of("LBD_RUN_DIR", runDir.toString());
            String[] config = {"quiescent=no", "cleanstop=no", "eventloops=1", "negotiatetimeout=1",
                "virtual=" + VIP + ":53", "\tprotocol=udp", "\treal=" + VM2 + ":53 gate", "\treal=" + VM3 + ":53 gate",
                "\tservice=dns", "\trequest=\"" + NAME + "\"", "\treceive=\"198\\.18\\.0\\.\"",
                "\tscheduler=rr", "\tchecktype=negotiate"};
            Process lbd = lab.startLbd("dir", env, config);
            awaitBothServers(lab, lbd);
            List<Integer> ports = List.of(40_001, 40_002, 40_003, 40_004);
            java.util.Map<Integer, String> before = new java.util.HashMap<>();
            for (int port : ports) {
                before.put(port, dig(lab, port));
            }
            assertThat(before.values()).as("rr over four flows: %s", before).containsOnly(VM2, VM3);
            assertThat(before.get(40_001)).isNotEqualTo(before.get(40_002));

            DrLab.stop(lbd); // SIGTERM: cleanstop=no saves the DR state, UDP flows included
            assertThat(lab.lbdLog()).contains("cleanstop=no: 4 DR connections");
            Process again = lab.startLbd("dir", env, config);
            awaitBothServers(lab, again);
            assertThat(lab.lbdLog()).contains("cleanstop=no: 4 DR connections and 0 persistence templates of the"
                    + " previous run carry on");
            for (int port : List.of(40_002, 40_001, 40_004, 40_003)) {
                assertThat(dig(lab, port)).as("client port %d after the restart", port).isEqualTo(before.get(port));
            }
            String carried = "UDP\\s+0[45]:\\d\\d\\s+UDP\\s+198\\.18\\.0\\.1:4000\\d\\s.*";
            assertThat(lab.listing("-c").lines().filter(l -> l.matches(carried))).hasSize(4);
            DrLab.stop(again);
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    private static void awaitBothServers(DrLab lab, Process lbd) {
        await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                .until(() -> lbd.isAlive() && lab.listing().contains("-> " + VM2 + ":53")
                        && lab.listing().contains("-> " + VM3 + ":53"));
    }

    /** dig's answer through the VIP from the client's address and {@code port} (the same flow each time). */
    private static String dig(DrLab lab, int port) {
        return lab.in("cli", "dig", "@" + VIP, "-p", "53", "-b", "198.18.0.1#" + port, "+short", "+tries=2",
                "+time=2", NAME, "A").output().strip();
    }

    /**
     * The lab: a client, the director and two real servers on one switch, each server set up by vip-setup.sh (gate,
     * or ipip) with a dnsmasq that answers its own address for the name, on the VIP and on its own address.
     */
    private static List<Process> farm(DrLab lab, boolean ipip) throws Exception {
        lab.switchNs("sw");
        lab.host("sw", "cli", "198.18.0.1/24");
        lab.host("sw", "dir", "198.18.0.10/24");
        List<Process> dns = new ArrayList<>();
        for (String[] vm : List.of(new String[] {"vm2", VM2}, new String[] {"vm3", VM3})) {
            lab.host("sw", vm[0], vm[1] + "/24");
            if (ipip) {
                lab.ipipEndpoint(vm[0]);
                lab.vipSetup(vm[0], "--iface", "eth0", "--tunnel", "start", VIP);
                lab.awaitTunnel(vm[0]);
            } else {
                lab.vipSetup(vm[0], "--iface", "eth0", "start", VIP);
            }
            // One socket per address (bind-interfaces): an answer leaves from the address asked, the VIP's
            // from the VIP, as DR needs.
            dns.add(lab.spawn(vm[0], "/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                    "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + vm[1],
                    "--listen-address=" + VIP, "--port=53", "--address=/" + NAME + "/" + vm[1], "--user=root",
                    "--pid-file"));
            await("dnsmasq in " + vm[0] + " answers").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100)).until(() -> dig(lab, vm[0], vm[1]).equals(vm[1]));
        }
        return dns;
    }

    /** dig's short answer for the name from {@code server}:53, asked in namespace {@code name}; "" when none. */
    private static String dig(DrLab lab, String name, String server) {
        return lab.in(name, "dig", "@" + server, "-p", "53", "+short", "+tries=2", "+time=2", NAME, "A").output()
                .strip();
    }
}
