package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The classic two-NIC director, in network namespaces, with lbd itself (child JVM): clients on one network route
 * the VIP via the director's address there; the real servers sit on another network, directly connected to the
 * director's second interface, and answer the clients through a router. No interface= line: lbd receives on every
 * interface and sends each real server's frames on the interface the kernel's route to it names.
 *
 * <pre>
 *   client 198.18.1.2 ──┬── director eth0 198.18.1.1 │ eth1 198.18.2.1 ──┬── VM2 198.18.2.2, VM3 198.18.2.3
 *   (VIP via .1.1)      └── router   eth0 198.18.1.254 │ eth1 198.18.2.254 ┘  (default via .2.254)
 * </pre>
 */
@Timeout(180)
class DrTwoInterfaceTest {

    private static final String VIP = "198.18.0.100";
    private static final String VM2 = "198.18.2.2";
    private static final String VM3 = "198.18.2.3";
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(30);

    @Test
    void clientsOnOneInterfaceReachRealServersOnTheOtherWithTheirPayloadsAndAddress() throws Exception {
        twoNicDirector(false);
    }

    /**
     * The same with the director's client-side NIC a port of a bridge (the address on br0): lbd receives on the
     * bridge, not on its port, whose frames reach the bridge too (a bond and its slaves are the same case). And the
     * server-side link has a smaller MTU (1400) than the clients' (1500): the client's full-size segments get ICMP
     * "fragmentation needed" from lbd, and its path MTU discovery adapts.
     */
    @Test
    void aBridgeIsReceivedOnAndItsPortIsNot() throws Exception {
        twoNicDirector(true);
    }

    private void twoNicDirector(boolean bridged) throws Exception {
        assumeTrue(Shell.isRoot(), "DrTwoInterfaceTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab(bridged ? "l2b" : "l2n");
        boolean passed = false;
        try {
            lab.twoNetworks("rt", VIP, null);
            if (bridged) {
                lab.ok("dir", "ip", "link", "add", "br0", "type", "bridge");
                lab.ok("dir", "ip", "addr", "flush", "dev", "eth0");
                lab.ok("dir", "ip", "link", "set", "eth0", "master", "br0");
                lab.ok("dir", "ip", "addr", "add", "198.18.1.1/24", "dev", "br0");
                lab.ok("dir", "ip", "link", "set", "br0", "up");
                lab.ok("dir", "ip", "link", "set", "eth1", "mtu", "1400");
            }
            for (String[] vm : List.of(new String[] {"vm2", VM2, "VM2"}, new String[] {"vm3", VM3, "VM3"})) {
                lab.host("ss", vm[0], vm[1] + "/24");
                lab.ok(vm[0], "ip", "route", "add", "default", "via", "198.18.2.254");
                lab.vipSetup(vm[0], "--iface", "eth0", "start", VIP);
                lab.startServer(vm[0], 80, vm[2]);
            }

            Process lbd = lab.startLbd("dir",
                    "quiescent=no",
                    "eventloops=1",
                    "virtual=" + VIP + ":80",
                    "\treal=" + VM2 + ":80 gate",
                    "\treal=" + VM3 + ":80 gate",
                    "\tservice=http",
                    "\trequest=\"/\"",
                    "\treceive=\"OK\"",
                    "\tscheduler=rr",
                    "\tchecktype=negotiate");
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.routed(VM2, "Route") && lab.routed(VM3, "Route"));
            assertThat(lab.lbdLog()).contains("direct routing, receiving on " + (bridged ? "br0, eth1" : "eth0, eth1"));

            // Every byte arrives, rr alternates, and the real server sees the client's own address.
            lab.uploadsArriveWhole("cli", "http://" + VIP + "/", DrLab.TWO_NET_CLIENT, 0, List.of("VM3", "VM2"),
                    1, 1460, 100_000, 3_000_000);
            assertThat(lab.in("cli", "curl", "-sS", "--max-time", "5", "http://" + VIP + "/").output().strip())
                    .isEqualTo("OK VM3 198.18.1.2");
            if (bridged) {
                assertThat(lab.in("cli", "ip", "route", "get", VIP).output()).contains("mtu 1400");
            }

            DrLab.stop(lbd);
            assertThat(lab.lbdLog()).as("a clean stop logs no error").doesNotContain("ERROR")
                    .doesNotContain("did not stop cleanly");
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** The two-NIC director for an IPv6 service (gate, real6=): the same path with neighbour discovery. */
    @Test
    void ipv6ClientsOnOneInterfaceReachGateServersOnTheOther() throws Exception {
        assumeTrue(Shell.isRoot(), "DrTwoInterfaceTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("l26");
        String vip = "fd00:198:18::100";
        String vm2 = "fd00:198:18:2::2";
        String vm3 = "fd00:198:18:2::3";
        boolean passed = false;
        try {
            lab.twoNetworks("rt", null, vip);
            lab.ok("dir", "ip", "-6", "route", "add", "default", "via", "fd00:198:18:1::fe");
            for (String[] vm : List.of(new String[] {"vm2", vm2, "VM2", "198.18.2.2"},
                    new String[] {"vm3", vm3, "VM3", "198.18.2.3"})) {
                lab.host("ss", vm[0], vm[3] + "/24");
                lab.address6(vm[0], "eth0", vm[1]);
                lab.ok(vm[0], "ip", "-6", "route", "add", "default", "via", "fd00:198:18:2::fe");
                lab.vipSetup(vm[0], "--iface", "eth0", "start", vip);
                lab.startServer(vm[0], 80, vm[2], true);
            }
            Process lbd = lab.startLbd("dir",
                    "quiescent=no",
                    "eventloops=1",
                    "virtual6=[" + vip + "]:80",
                    "\treal6=[" + vm2 + "]:80 gate",
                    "\treal6=[" + vm3 + "]:80 gate",
                    "\tservice=http",
                    "\trequest=\"/\"",
                    "\treceive=\"OK\"",
                    "\tscheduler=rr",
                    "\tchecktype=negotiate");
            await("both real servers in the table").atMost(HEALTH_BOUND).pollInterval(Duration.ofMillis(250))
                    .until(() -> lbd.isAlive() && lab.routed(vm2, "Route") && lab.routed(vm3, "Route"));
            lab.uploadsArriveWhole("cli", "http://[" + vip + "]/", DrLab.TWO_NET_CLIENT6, 30, List.of("VM3", "VM2"),
                    1, 1400, 100_000, 3_000_000);
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

    @Test
    void whatCannotWorkIsRefusedAtStartEachWithTheServerTheInterfaceAndTheFix() throws Exception {
        assumeTrue(Shell.isRoot(), "DrTwoInterfaceTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("l2r");
        boolean passed = false;
        try {
            lab.switchNs("ss");
            lab.host("ss", "dir", "198.18.2.1/24");
            lab.ok("dir", "ip", "route", "add", "198.18.3.0/24", "via", "198.18.2.254");
            lab.ok("dir", "ip", "tuntap", "add", "dev", "tun9", "mode", "tun");
            lab.ok("dir", "ip", "link", "set", "tun9", "up");
            lab.ok("dir", "ip", "route", "add", "198.18.4.0/24", "dev", "tun9");
            Process lbd = lab.startLbd("dir",
                    "interface=eth0,eth9",
                    "virtual=" + VIP + ":80",
                    "\treal=198.18.3.5:80 gate",
                    "\treal=198.18.4.5:80 gate",
                    "\treal=198.18.2.5:80 gate",
                    "\tchecktype=connect");
            assertThat(lbd.waitFor(60, TimeUnit.SECONDS)).as("lbd exits when refused").isTrue();
            assertThat(lbd.exitValue()).isEqualTo(1);
            String log = lab.lbdLog();
            assertThat(log)
                    .contains("interface eth9 does not exist (see 'ip link'); fix interface= in the configuration")
                    .contains("gate real server 198.18.3.5:80 of TCP " + VIP + ":80 is not on a network directly"
                            + " connected to this director (the route to it goes via 198.18.2.254 dev eth0): use ipip"
                            + " for it, or connect the director to its network")
                    .contains("gate real server 198.18.4.5:80 of TCP " + VIP + ":80: the route to it leaves on tun9,"
                            + " which is not an Ethernet interface (link type 65534)")
                    .doesNotContain("198.18.2.5:80 of");
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }
}
