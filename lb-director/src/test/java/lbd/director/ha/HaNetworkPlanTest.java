package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where the VIPs go and where heartbeats are sent, worked out from `ip -o -4 addr show` and ha.cf. */
class HaNetworkPlanTest {

    private static final String IP_OUTPUT = """
            1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
            2: eth0    inet 10.8.8.46/24 brd 10.8.8.255 scope global eth0\\       valid_lft forever preferred_lft forever
            2: eth0    inet 10.8.8.45/24 brd 10.8.8.255 scope global secondary eth0:0\\       valid_lft forever preferred_lft forever
            3: eth1@if7    inet 198.18.0.11/24 scope global eth1\\       valid_lft forever preferred_lft forever
            """;

    private static Inet4Address ip(String s) {
        return (Inet4Address) InetAddress.ofLiteral(s);
    }

    @Test
    void parsesIpAddrShow() {
        List<InterfaceAddress> a = InterfaceAddress.parse(IP_OUTPUT);
        assertThat(a).containsExactly(
                new InterfaceAddress("lo", ip("127.0.0.1"), 8, Optional.empty()),
                new InterfaceAddress("eth0", ip("10.8.8.46"), 24, Optional.of(ip("10.8.8.255"))),
                new InterfaceAddress("eth0", ip("10.8.8.45"), 24, Optional.of(ip("10.8.8.255"))),
                new InterfaceAddress("eth1", ip("198.18.0.11"), 24, Optional.empty()));
        assertThat(a.get(3).broadcastOrDerived()).isEqualTo(ip("198.18.0.255"));
    }

    @Test
    void aVipTakesTheInterfaceAndPrefixOfItsSubnetUnlessWritten() {
        List<InterfaceAddress> a = InterfaceAddress.parse(IP_OUTPUT);
        List<ResolvedVip> r = ResolvedVip.resolve(List.of(
                new VipResource(ip("10.8.8.45"), OptionalInt.empty(), Optional.empty()),
                new VipResource(ip("198.18.0.100"), OptionalInt.of(32), Optional.empty()),
                new VipResource(ip("192.0.2.1"), OptionalInt.of(24), Optional.of("eth9"))), Set.of(ip("198.18.0.100")), a);
        assertThat(r).containsExactly(
                new ResolvedVip(ip("10.8.8.45"), 24, "eth0", false),
                new ResolvedVip(ip("198.18.0.100"), 32, "eth1", true),
                new ResolvedVip(ip("192.0.2.1"), 24, "eth9", false));
        assertThatThrownBy(() -> ResolvedVip.resolve(List.of(new VipResource(ip("203.0.113.5"), OptionalInt.empty(), Optional.empty())),
                Set.of(), a)).hasMessage("haresources: no interface here has a subnet holding 203.0.113.5;"
                + " write it as IPaddr::203.0.113.5/PREFIX/INTERFACE");
    }

    private static HaConfig config(List<HeartbeatMedium> media) {
        HaCf cf = new HaCf(Duration.ofSeconds(2), Duration.ofSeconds(6), Duration.ofSeconds(3), Duration.ofSeconds(6), 694,
                media, false, List.of("a", "b"));
        return new HaConfig("a", "b", cf, AuthKeys.parse("authkeys", "auth 1\n1 sha1 x\n", new java.util.ArrayList<>()),
                new HaResources("a", List.of(), Optional.empty()), List.of());
    }

    @Test
    void heartbeatsGoToTheBroadcastAddressAndToThePeerButNotToThisNode() {
        List<InterfaceAddress> a = InterfaceAddress.parse(IP_OUTPUT);
        // the same ha.cf on both nodes lists both nodes' ucast addresses; each node skips its own
        HaConfig c = config(List.of(new HeartbeatMedium.Broadcast("eth0", 694), new HeartbeatMedium.Broadcast("eth1", 694),
                new HeartbeatMedium.Unicast("eth0", ip("10.8.8.46"), 694), new HeartbeatMedium.Unicast("eth0", ip("10.8.8.47"), 694),
                new HeartbeatMedium.Multicast("eth0", ip("239.0.0.1"), 694, 1, false)));
        assertThat(HaLauncher.destinations(c, a)).containsExactly(
                new InetSocketAddress(ip("10.8.8.255"), 694),
                new InetSocketAddress(ip("198.18.0.255"), 694),
                new InetSocketAddress(ip("10.8.8.47"), 694),
                new InetSocketAddress(ip("239.0.0.1"), 694));
        assertThatThrownBy(() -> HaLauncher.destinations(config(List.of(new HeartbeatMedium.Broadcast("eth7", 694))), a))
                .hasMessageContaining("bcast eth7: eth7 has no IPv4 address here");
        assertThatThrownBy(() -> HaLauncher.destinations(config(List.of(new HeartbeatMedium.Unicast("eth0", ip("10.8.8.46"), 694))), a))
                .hasMessageContaining("every heartbeat path leads to this node itself");
    }
}
