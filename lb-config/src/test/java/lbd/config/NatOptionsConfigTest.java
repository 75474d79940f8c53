package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.VirtualService;
import org.junit.jupiter.api.Test;

/** proxyprotocol=, acceptproxy=, transparent=: lbd's per-service directives for the client's address. */
class NatOptionsConfigTest {

    @Test
    void offByDefault() {
        VirtualService vs = Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n")
                .virtualServices().getFirst();
        assertThat(vs.nat()).isEqualTo(NatOptions.NONE);
    }

    @Test
    void eachDirectiveIsRead() {
        VirtualService vs = Fixtures.loaded("""
                virtual=10.0.0.1:80
                \treal=10.0.0.2:8080 masq
                \tproxyprotocol=v2
                \tacceptproxy=yes
                \ttransparent=no
                """).virtualServices().getFirst();
        assertThat(vs.nat()).isEqualTo(new NatOptions(ProxyProtocol.V2, true, false));
        assertThat(Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\tproxyprotocol=\"v1\"\n")
                .virtualServices().getFirst().nat().proxyProtocol()).isEqualTo(ProxyProtocol.V1);
        assertThat(Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\tproxyprotocol=off\n")
                .virtualServices().getFirst().nat().proxyProtocol()).isEqualTo(ProxyProtocol.OFF);
    }

    @Test
    void badValuesAreErrorsOnTheirLine() {
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\tproxyprotocol=v3\n"))
                .isEqualTo("test.cf:3: proxyprotocol: \"v3\" is not v1, v2 or off");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\tacceptproxy=maybe\n"))
                .contains("test.cf:3:").contains("is not yes or no");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\ttransparent=perhaps\n"))
                .contains("test.cf:3:").contains("is not yes or no");
    }

    @Test
    void transparentIsReadForTcpAndUdp() {
        VirtualService vs = Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\ttransparent=yes\n")
                .virtualServices().getFirst();
        assertThat(vs.nat()).isEqualTo(new NatOptions(ProxyProtocol.OFF, false, true));
        assertThat(Fixtures.loaded("virtual=10.0.0.1:53\n\treal=10.0.0.2 masq\n\tprotocol=udp\n\ttransparent=yes\n")
                .virtualServices().getFirst().nat().transparent()).isTrue();
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\ttransparent=yes\n"))
                .startsWith("test.cf:3: transparent: needs masq real servers");
    }

    @Test
    void udpServicesRefuseWhatTheirFlowsCannotDo() {
        String udp = "virtual=10.0.0.1:53\n\treal=10.0.0.2 masq\n\tprotocol=udp\n";
        assertThat(Fixtures.onlyError(udp + "\tproxyprotocol=v2\n")).isEqualTo("test.cf:4: proxyprotocol: proxyprotocol="
                + " is for tcp services only yet (a udp flow's datagrams reach the real server without a header); remove"
                + " the line");
        assertThat(Fixtures.onlyError(udp + "\tacceptproxy=yes\n")).isEqualTo("test.cf:4: acceptproxy: acceptproxy=yes"
                + " is for tcp services only yet (lbd reads no PROXY header from datagrams); remove the line");
        Fixtures.loaded(udp + "\tproxyprotocol=off\n\tacceptproxy=no\n");
    }

    @Test
    void sourceAddressesAreReadInOrderOfTheServicesFamily() throws Exception {
        VirtualService vs = Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n"
                + "\tsourceaddress=10.0.0.11, 10.0.0.12\n").virtualServices().getFirst();
        assertThat(vs.nat().sourceAddresses()).containsExactly(java.net.InetAddress.getByName("10.0.0.11"),
                java.net.InetAddress.getByName("10.0.0.12"));
        VirtualService v6 = Fixtures.loaded("virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2] masq\n"
                + "\tsourceaddress=[2001:db8::11],2001:db8::12\n").virtualServices().getFirst();
        assertThat(v6.nat().sourceAddresses()).containsExactly(java.net.InetAddress.getByName("2001:db8::11"),
                java.net.InetAddress.getByName("2001:db8::12"));
        assertThat(Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n").virtualServices().getFirst()
                .nat().sourceAddresses()).isEmpty();
    }

    @Test
    void theCheckSummarySaysWhatTheRealServersLearn() {
        String summary = CheckSummary.format(Fixtures.loaded("""
                virtual=10.0.0.1:80
                \treal=10.0.0.2 masq
                \ttransparent=yes
                \tacceptproxy=yes
                virtual=10.0.0.1:81
                \treal=10.0.0.2 masq
                \tproxyprotocol=v2
                \tsourceaddress=10.0.0.11,10.0.0.12
                virtual=10.0.0.1:82
                \treal=10.0.0.2 masq
                """));
        assertThat(summary).contains("  = client address: taken from the PROXY header of an upstream hop"
                + " (acceptproxy=yes); real servers see it as the source of lbd's connections (transparent=yes: this"
                + " director must be their gateway, with scripts/nat-director-setup.sh start)\n")
                .contains("  = client address: sent in a PROXY v2 header before the client's bytes (proxyprotocol=;"
                        + " the real servers must expect it)\n  = source addresses: 10.0.0.11, 10.0.0.12 in turn, each"
                        + " with its own local ports per real server (sourceaddress=)\n");
        assertThat(summary.split("client address", -1)).as("none for the plain service").hasSize(3);
    }

    @Test
    void badSourceAddressesAreErrorsOnTheirLine() {
        String head = "virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n";
        assertThat(Fixtures.onlyError(head + "\tsourceaddress=10.0.0.11:4000\n"))
                .isEqualTo("test.cf:3: sourceaddress: no port in sourceaddress=: \"10.0.0.11:4000\" (the kernel picks"
                        + " a port per connection); write the address alone");
        assertThat(Fixtures.onlyError(head + "\tsourceaddress=10.0.0.11,10.0.0.11\n"))
                .isEqualTo("test.cf:3: sourceaddress: 10.0.0.11 is given twice; name each source address once");
        assertThat(Fixtures.onlyError(head + "\tsourceaddress=2001:db8::11\n")).startsWith("test.cf:3:");
        assertThat(Fixtures.onlyError(head + "\ttransparent=yes\n\tsourceaddress=10.0.0.11\n"))
                .isEqualTo("test.cf:4: sourceaddress: transparent=yes connects from each client's own address;"
                        + " sourceaddress= cannot apply as well: remove one of the two");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:53\n\treal=10.0.0.2 masq\n\tprotocol=udp\n"
                + "\tsourceaddress=10.0.0.11\n")).startsWith("test.cf:4: sourceaddress: sourceaddress= is for tcp"
                        + " services only yet");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tsourceaddress=10.0.0.11\n"))
                .startsWith("test.cf:3: sourceaddress: needs masq real servers");
    }

    @Test
    void directRoutingHasNoUseForThem() {
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tproxyprotocol=v2\n"))
                .startsWith("test.cf:3: proxyprotocol: needs masq real servers");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tacceptproxy=yes\n"))
                .isEqualTo("test.cf:3: acceptproxy: needs masq real servers: direct routing (gate) forwards the"
                        + " client's own packets, which the real server already sees with the client's address");
        // Written off, they change nothing and are accepted with gate too.
        Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tproxyprotocol=off\n\ttransparent=no\n");
    }

    @Test
    void globalUseIsRefused() {
        assertThat(Fixtures.onlyError("proxyprotocol=v2\nvirtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n"))
                .startsWith("test.cf:1:");
    }
}
