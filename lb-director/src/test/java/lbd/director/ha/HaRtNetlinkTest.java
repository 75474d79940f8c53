package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Adds and removes a loopback address (127.77.0.1/32 on lo) over rtnetlink, as a takeover does with a VIP. */
@Timeout(10)
class HaRtNetlinkTest {

    private static final Inet4Address ADDRESS = (Inet4Address) InetAddress.ofLiteral("127.77.0.1");

    private static String loAddresses() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "-4", "-o", "addr", "show", "dev", "lo").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    @Test
    void addsAndRemovesAnAddressWithItsLabel() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "HaRtNetlinkTest skipped: adding an address needs root");
        try {
            assertThat(RtNetlink.add("lo", ADDRESS, 32, null, "lo:ha")).isZero();
            assertThat(loAddresses()).contains("inet 127.77.0.1/32").contains("lo:ha");
            assertThat(RtNetlink.add("lo", ADDRESS, 32, null, "lo:ha")).isEqualTo(RtNetlink.EEXIST);
            assertThat(RtNetlink.delete("lo", ADDRESS, 32)).isZero();
            assertThat(loAddresses()).doesNotContain("127.77.0.1");
            assertThat(RtNetlink.delete("lo", ADDRESS, 32)).isEqualTo(RtNetlink.EADDRNOTAVAIL);
            assertThat(RtNetlink.describe(RtNetlink.EEXIST)).isEqualTo("File exists");
        } finally {
            RtNetlink.delete("lo", ADDRESS, 32);
        }
    }

    /**
     * An interface with no address of its own (one that carries only the VIP): the JDK's NetworkInterface does not
     * list it, so it is found through /sys/class/net. A veth pair, up, its peer down.
     */
    @Test
    void addsAnAddressToAnInterfaceThatHasNone() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "HaRtNetlinkTest skipped: adding an address needs root");
        Inet4Address vip = (Inet4Address) InetAddress.ofLiteral("198.18.98.1");
        new ProcessBuilder("ip", "link", "del", "lbtvip0").start().waitFor();
        try {
            assertThat(new ProcessBuilder("ip", "link", "add", "lbtvip0", "type", "veth", "peer", "name", "lbtvip1")
                    .start().waitFor()).isZero();
            assertThat(new ProcessBuilder("ip", "link", "set", "lbtvip0", "up").start().waitFor()).isZero();
            assertThat(RtNetlink.add("lbtvip0", vip, 32, null, "lbtvip0:0")).isZero();
            assertThat(RtNetlink.delete("lbtvip0", vip, 32)).isZero();
        } finally {
            new ProcessBuilder("ip", "link", "del", "lbtvip0").start().waitFor();
        }
    }

    /** The active node's VIP removed behind its back (ifdown/ifup, ip addr del) is put back by keep(), once. */
    @Test
    void aVipRemovedBehindTheActiveNodesBackIsPutBack() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "HaRtNetlinkTest skipped: adding an address needs root");
        IpAddressVipOwnership vip = new IpAddressVipOwnership(List.of(new ResolvedVip(ADDRESS, 32, "lo", false)));
        try {
            vip.acquire();
            assertThat(loAddresses()).contains("inet 127.77.0.1/32");
            assertThat(vip.keep()).as("in place: nothing to put back").isFalse();

            new ProcessBuilder("ip", "addr", "del", "127.77.0.1/32", "dev", "lo").start().waitFor();
            assertThat(loAddresses()).doesNotContain("127.77.0.1");
            assertThat(vip.keep()).as("put back").isTrue();
            assertThat(loAddresses()).contains("inet 127.77.0.1/32");
            assertThat(vip.keep()).isFalse();
        } finally {
            vip.release();
        }
        assertThat(loAddresses()).doesNotContain("127.77.0.1");
    }
}
