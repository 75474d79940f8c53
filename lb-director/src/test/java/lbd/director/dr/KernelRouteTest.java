package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Reading {@code ip -o route get}: the device, a gateway when there is one, the preferred source, local routes. */
class KernelRouteTest {

    @Test
    void aDirectlyConnectedAddressHasNoGateway() throws Exception {
        KernelRoute r = KernelRoute.parse("198.18.2.2 dev eth1 src 198.18.2.1 uid 0 \\    cache ").orElseThrow();
        assertThat(r.device()).isEqualTo("eth1");
        assertThat(r.gateway()).isEmpty();
        assertThat(r.source()).contains(InetAddress.getByName("198.18.2.1"));
        assertThat(r.local()).isFalse();
    }

    @Test
    void anAddressBehindARouterNamesTheGateway() throws Exception {
        KernelRoute r = KernelRoute.parse("198.18.4.5 via 198.18.2.254 dev eth1 src 198.18.2.1 uid 0 \\    cache ")
                .orElseThrow();
        assertThat(r.gateway()).contains(InetAddress.getByName("198.18.2.254"));
        assertThat(KernelRoute.parse("198.18.4.5 via inet6 fe80::1 dev eth1 src 198.18.2.1 uid 0").orElseThrow()
                .gateway()).contains(InetAddress.getByName("fe80::1"));
        assertThat(KernelRoute.parse("2001:db8::5 from :: via fe80::1 dev eth0 proto ra src 2001:db8::2 metric 100")
                .orElseThrow().gateway()).contains(InetAddress.getByName("fe80::1"));
    }

    @Test
    void aLocalAddressIsLocalAndGarbageIsNoRoute() {
        assertThat(KernelRoute.parse("local 198.18.0.10 dev lo src 198.18.0.10 uid 0 \\    cache <local> ")
                .orElseThrow().local()).isTrue();
        assertThat(KernelRoute.parse("RTNETLINK answers: Network is unreachable")).isEmpty();
    }
}
