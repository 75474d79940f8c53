package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import lbd.dataplane.dr.packet.Net;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;
import org.junit.jupiter.api.Test;

/** The HA switch as the workers see it: lbd answers ARP only for VIPs it serves and was not told to leave. */
class DrViewTest {

    private static int ip(String dotted) {
        return Net.ipv4(java.net.InetAddress.ofLiteral(dotted).getAddress());
    }

    @Test
    void answersArpOnlyForServedVipsThatAreNotSilenced() {
        IntHashSet vips = new IntHashSet();
        vips.add(ip("198.18.0.60"));
        vips.add(ip("198.18.0.70"));
        IntHashSet silent = new IntHashSet();
        silent.add(ip("198.18.0.70"));
        DrView view = new DrView(new Long2ObjectHashMap<>(), vips, silent, Map.of());

        assertThat(view.answersArp(ip("198.18.0.60"))).isTrue();
        assertThat(view.answersArp(ip("198.18.0.70"))).as("silenced (HA backup)").isFalse();
        assertThat(view.isVip(ip("198.18.0.70"))).as("still served").isTrue();
        assertThat(view.answersArp(ip("198.18.0.61"))).as("not a VIP").isFalse();
        assertThat(DrView.EMPTY.answersArp(ip("198.18.0.60"))).isFalse();
    }
}
