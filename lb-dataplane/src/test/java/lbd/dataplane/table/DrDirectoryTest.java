package lbd.dataplane.table;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.packet.Net;
import org.junit.jupiter.api.Test;

/** The HA switch as the workers see it: lbd answers ARP only for VIPs it serves and was not told to leave. */
class DrDirectoryTest {

    private static final VirtualServiceKey WEB = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.60", 80));
    private static final VirtualServiceKey MAIL = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.70", 25));

    private static int ip(String dotted) {
        return Net.ipv4(InetAddress.ofLiteral(dotted).getAddress());
    }

    @Test
    void answersArpOnlyForServedVipsThatAreNotSilenced() {
        DrDirectory directory = DrDirectory.of(List.of(WEB, MAIL),
                Set.of((Inet4Address) InetAddress.ofLiteral("198.18.0.70")));

        assertThat(directory.answersArp(ip("198.18.0.60"))).isTrue();
        assertThat(directory.answersArp(ip("198.18.0.70"))).as("silenced (HA backup)").isFalse();
        assertThat(directory.isVip(ip("198.18.0.70"))).as("still served").isTrue();
        assertThat(directory.answersArp(ip("198.18.0.61"))).as("not a VIP").isFalse();
        assertThat(directory.arpAnsweredVips()).containsExactly(ip("198.18.0.60"));
        assertThat(DrDirectory.EMPTY.answersArp(ip("198.18.0.60"))).isFalse();
    }

    @Test
    void findsTheServiceByVipAndPortOnly() {
        DrDirectory directory = DrDirectory.of(List.of(WEB, MAIL), Set.of());

        assertThat(directory.service(ip("198.18.0.60"), 80)).isEqualTo(WEB);
        assertThat(directory.service(ip("198.18.0.60"), 25)).as("another port of the same VIP").isNull();
        assertThat(directory.vipArray()).containsExactlyInAnyOrder(ip("198.18.0.60"), ip("198.18.0.70"));
        assertThat(directory.vipSet()).containsExactlyInAnyOrder(ip("198.18.0.60"), ip("198.18.0.70"));
    }
}
