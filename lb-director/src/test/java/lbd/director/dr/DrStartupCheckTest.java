package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import lbd.dataplane.dr.packet.Net;
import org.junit.jupiter.api.Test;

class DrStartupCheckTest {

    @Test
    void aReadyHostHasNoProblems() {
        assertThat(DrStartupCheck.problems("0\n", Map.of("eth0", "0"), Map.of())).isEmpty();
    }

    @Test
    void saysExactlyWhatToChange() {
        List<String> p = DrStartupCheck.problems("1", Map.of("eth0", "1"), Map.of("10.10.10.60", "eth0/24"));
        assertThat(p).hasSize(3);
        assertThat(p.get(0)).contains("net.ipv4.ip_forward is 1").contains("sysctl -w net.ipv4.ip_forward=0");
        assertThat(p.get(1)).contains("sysctl -w net.ipv4.conf.eth0.forwarding=0");
        assertThat(p.get(2)).contains("10.10.10.60").contains("ip addr del 10.10.10.60/24 dev eth0");
        assertThat(p).allSatisfy(line -> assertThat(line).doesNotContain("\n"));
    }

    @Test
    void readsCompleteNeighboursOfTheInterfaceOnly() {
        List<String> lines = List.of(
                "IP address       HW type     Flags       HW address            Mask     Device",
                "198.18.0.2       0x1         0x2         f6:5c:29:72:91:4c     *        eth0",
                "198.18.0.3       0x1         0x0         00:00:00:00:00:00     *        eth0",
                "198.18.0.4       0x1         0x2         02:00:00:00:00:04     *        eth1",
                "garbage");
        Map<Integer, Long> m = ProcNetArp.parse(lines, "eth0");
        assertThat(m).containsOnlyKeys(Net.ipv4(new byte[] {(byte) 198, 18, 0, 2}));
        assertThat(Net.formatMac(m.get(Net.ipv4(new byte[] {(byte) 198, 18, 0, 2})))).isEqualTo("f6:5c:29:72:91:4c");
    }

    @Test
    void anIpv6ServiceNeedsIpv6ForwardingOffToo() {
        assertThat(DrStartupCheck.ipv6Problems("0", Map.of("eth0", "0"))).isEmpty();
        List<String> p = DrStartupCheck.ipv6Problems("1", Map.of("eth0", "1"));
        assertThat(p).hasSize(2);
        assertThat(p.get(0)).contains("net.ipv6.conf.all.forwarding is 1")
                .contains("sysctl -w net.ipv6.conf.all.forwarding=0");
        assertThat(p.get(1)).contains("sysctl -w net.ipv6.conf.eth0.forwarding=0");
    }

    @Test
    void readsUsableIpv6NeighboursFromIpNeigh() throws Exception {
        Map<java.net.InetAddress, Long> m = IpNeighbours.parse(List.of(
                "fd00:198:18::62 lladdr 02:00:00:00:00:62 REACHABLE",
                "fd00:198:18::63 lladdr 02:00:00:00:00:63 router STALE",
                "fd00:198:18::64 FAILED",
                "fd00:198:18::65  INCOMPLETE",
                "fe80::1 lladdr zz:00:00:00:00:01 STALE",
                "garbage"));
        assertThat(m).containsOnlyKeys(java.net.InetAddress.getByName("fd00:198:18::62"),
                java.net.InetAddress.getByName("fd00:198:18::63"));
        assertThat(Net.formatMac(m.get(java.net.InetAddress.getByName("fd00:198:18::63"))))
                .isEqualTo("02:00:00:00:00:63");
    }
}
