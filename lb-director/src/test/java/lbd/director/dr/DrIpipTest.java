package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import lbd.director.cli.LbadmMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ipip (LVS-TUN) end to end in network namespaces, with lbd itself (child JVM) on a two-NIC director: the real
 * servers are two routers away, on a network the director reaches only through them; lbd sends the client's
 * packets to them inside IPv4, to the MAC of the first router; the real servers decapsulate on tunl0 and answer the
 * client directly. The director's server-side link has a small MTU (1300), so the client's full-size segments no
 * longer fit once encapsulated: lbd answers them with ICMP "fragmentation needed" (1280) and the client's path MTU
 * discovery shrinks its segments, as with IPVS.
 *
 * <pre>
 *   client 198.18.1.2 ─┬─ director eth0 .1.1 │ eth1 198.18.2.1 (mtu 1300) ─── r1 .2.254 │ .3.1 ─── r2 .3.2 │ .4.1
 *   (VIP via .1.1)     └──────────────────────────────────── r1 .1.254                           │
 *                                                                    VM4 198.18.4.5, VM5 198.18.4.6 (default via .4.1)
 * </pre>
 *
 * Where the test kernel has no ipip module (CONFIG_NET_IPIP), a small decapsulator stands in for the kernel's:
 * a raw socket for protocol 4 takes each tunnelled packet and writes the inner packet into a TUN device named tunl0,
 * which is what the kernel's ipip receive path does (the real server's stack then sees the client's packet arrive
 * on tunl0).
 */
@Timeout(240)
class DrIpipTest {

    private static final String VIP = "198.18.0.100";
    private static final String VM4 = "198.18.4.5";
    private static final String VM5 = "198.18.4.6";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);

    @Test
    void realServersTwoRoutersAwayGetTheClientsPacketsIntactHealthChecksAndPmtuWork() throws Exception {
        assumeTrue(Shell.isRoot(), "DrIpipTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("lip");
        boolean passed = false;
        try {
            lab.twoNetworks("r1", VIP, null);
            lab.ok("dir", "ip", "link", "set", "eth1", "mtu", "1300");
            lab.ok("dir", "ip", "route", "add", "198.18.4.0/24", "via", "198.18.2.254");
            lab.switchNs("bs");
            lab.switchNs("vs");
            lab.link("bs", "r1", "eth2", "198.18.3.1/24");
            lab.ok("r1", "ip", "route", "add", "198.18.4.0/24", "via", "198.18.3.2");
            lab.host("bs", "r2", "198.18.3.2/24");
            lab.link("vs", "r2", "eth1", "198.18.4.1/24");
            lab.ok("r2", "ip", "route", "add", "default", "via", "198.18.3.1");
            lab.ok("r2", "sysctl", "-qw", "net.ipv4.ip_forward=1");
            for (String[] vm : List.of(new String[] {"vm4", VM4, "VM4"}, new String[] {"vm5", VM5, "VM5"})) {
                lab.host("vs", vm[0], vm[1] + "/24");
                lab.ok(vm[0], "ip", "route", "add", "default", "via", "198.18.4.1");
                lab.ipipEndpoint(vm[0]);
                lab.vipSetup(vm[0], "--iface", "eth0", "--tunnel", "start", VIP);
                lab.startServer(vm[0], 80, vm[2]);
            }
            lab.awaitTunnel("vm4");
            lab.awaitTunnel("vm5");

            Process lbd = lab.startLbd("dir",
                    "quiescent=no",
                    "eventloops=1",
                    "metrics=127.0.0.1:9100",
                    "virtual=" + VIP + ":80",
                    "\treal=" + VM4 + ":80 ipip",
                    "\treal=" + VM5 + ":80 ipip",
                    "\tservice=http",
                    "\trequest=\"/\"",
                    "\treceive=\"OK\"",
                    "\tscheduler=rr",
                    "\tchecktype=negotiate");
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.routed(VM4, "Tunnel") && lab.routed(VM5, "Tunnel"));

            lab.uploadsArriveWhole("cli", "http://" + VIP + "/", DrLab.TWO_NET_CLIENT, 10, List.of("VM5", "VM4"),
                    1, 1460, 100_000, 3_000_000);
            // The client learnt the tunnel's path MTU from lbd's ICMP: 1300 less the outer header.
            assertThat(lab.in("cli", "ip", "route", "get", VIP).output()).contains("mtu 1280");
            assertThat(metric(lab, "lbd_dr_replies_sent_total", "fragmentation-needed")).isPositive();

            // Health checks work through the tunnel's neighbours as for any server: one stops, it leaves the table
            // and every connection goes to the other; it comes back.
            lab.in("vm5", "pkill", "-f", "server.py 80 VM5");
            await("VM5 leaves the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> !lab.listing().contains("-> " + VM5 + ":80"));
            Path small = lab.randomFile(5000, 99);
            for (int i = 0; i < 3; i++) {
                assertThat(lab.upload("cli", "http://" + VIP + "/", small))
                        .isEqualTo("VM4 198.18.1.2 5000 " + DrLab.sha256(small));
            }
            lab.startServer("vm5", 80, "VM5");
            await("VM5 back in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.routed(VM5, "Tunnel"));

            // A gate server added at run time behind the routers cannot work: it is held out with the reason.
            assertThat(LbadmMain.run(new String[] {"-a", "-t", VIP + ":80", "-r", "198.18.4.7:80",
                "-g", "-w", "1", "--socket", lab.socket.toString()}, System.out, System.err)).isZero();
            await("the routed gate server is held out").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lab.listing().contains("-- 198.18.4.7:80 held out of the table by its health check:"
                            + " gate real server 198.18.4.7:80 of TCP " + VIP + ":80 is not on a network directly"
                            + " connected to this director (the route to it goes via 198.18.2.254 dev eth1): use ipip"
                            + " for it"));
            assertThat(lab.listing()).doesNotContain("-> 198.18.4.7");

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
     * IPv6-in-IPv6 for an IPv6 service: the real servers one router away on their own /64, the director's
     * server-side link at MTU 1400, so the client learns 1360 from lbd's ICMPv6 "packet too big". Once through the
     * packet sockets, once with xdp=yes: the frames the XDP program takes are encapsulated where they lie, in the
     * AF_XDP socket's memory.
     */
    @ParameterizedTest(name = "xdp={0}")
    @ValueSource(strings = {"no", "yes"})
    void ipv6RealServersBehindARouterGetTheClientsPacketsIntactInIpv6(String xdp) throws Exception {
        assumeTrue(Shell.isRoot(), "DrIpipTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("li6" + xdp.charAt(0));
        String vip = "fd00:198:18::100";
        String vm4 = "fd00:198:18:4::5";
        String vm5 = "fd00:198:18:4::6";
        boolean passed = false;
        try {
            lab.twoNetworks("r1", null, vip);
            lab.switchNs("vs");
            lab.link("vs", "r1", "eth2", "198.18.4.1/24");
            lab.address6("r1", "eth2", "fd00:198:18:4::1");
            lab.ok("dir", "ip", "link", "set", "eth1", "mtu", "1400");
            lab.ok("dir", "ip", "-6", "route", "add", "fd00:198:18:4::/64", "via", "fd00:198:18:2::fe");
            // Without a route for the VIP the director's kernel would answer with ICMPv6 "no route": lbd refuses.
            Process refused = lab.startLbd("dir", "virtual6=[" + vip + "]:80", "\treal6=[" + vm4 + "]:80 ipip",
                    "\tchecktype=connect");
            assertThat(refused.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String shown = java.net.InetAddress.getByName(vip).getHostAddress();
            assertThat(lab.lbdLog()).contains("IPv6 VIP " + shown + " has no route on this director, so its kernel"
                    + " would answer the clients' packets with ICMPv6 'no route' beside lbd: add a default route, or"
                    + " 'ip -6 route add blackhole " + shown + "'");
            lab.ok("dir", "ip", "-6", "route", "add", "default", "via", "fd00:198:18:1::fe");
            int logBefore = lab.lbdLog().length();
            for (String[] vm : List.of(new String[] {"vm4", vm4, "VM4", "198.18.4.5"},
                    new String[] {"vm5", vm5, "VM5", "198.18.4.6"})) {
                lab.host("vs", vm[0], vm[3] + "/24");
                lab.address6(vm[0], "eth0", vm[1]);
                lab.ok(vm[0], "ip", "-6", "route", "add", "default", "via", "fd00:198:18:4::1");
                lab.ip6ip6Endpoint(vm[0]);
                lab.vipSetup(vm[0], "--iface", "eth0", "--tunnel", "start", vip);
                lab.startServer(vm[0], 80, vm[2], true);
            }
            lab.awaitTunnel("vm4", "ip6tnl0");
            lab.awaitTunnel("vm5", "ip6tnl0");

            Process lbd = lab.startLbd("dir",
                    "quiescent=no",
                    "eventloops=1",
                    "xdp=" + xdp,
                    "virtual6=[" + vip + "]:80",
                    "\treal6=[" + vm4 + "]:80 ipip",
                    "\treal6=[" + vm5 + "]:80 ipip",
                    "\tservice=http",
                    "\trequest=\"/\"",
                    "\treceive=\"OK\"",
                    "\tscheduler=rr",
                    "\tchecktype=negotiate");
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.routed(vm4, "Tunnel") && lab.routed(vm5, "Tunnel"));

            lab.uploadsArriveWhole("cli", "http://[" + vip + "]/", DrLab.TWO_NET_CLIENT6, 20, List.of("VM5", "VM4"),
                    1, 1400, 100_000, 3_000_000);
            assertThat(lab.in("cli", "ip", "-6", "route", "get", vip).output()).contains("mtu 1360");
            if (xdp.equals("yes")) {
                assertThat(lab.lbdLog()).contains("AF_XDP (eth0 queue 0, eth1 queue 0)");
            }

            DrLab.stop(lbd);
            assertThat(lab.lbdLog().substring(logBefore)).as("a clean stop logs no error").doesNotContain("ERROR");
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** A labelled DR series ({@code family{label="value"}}) from lbd's metrics in the director's namespace. */
    private static long metric(DrLab lab, String family, String value) throws IOException {
        String text = lab.in("dir", "curl", "-sS", "--max-time", "5", "http://127.0.0.1:9100/metrics").output();
        return text.lines().filter(l -> l.startsWith(family + "{") && l.contains("\"" + value + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
