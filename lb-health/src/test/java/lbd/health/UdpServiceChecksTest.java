package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.config.model.CheckType;
import lbd.config.model.Protocol;
import lbd.config.model.ServiceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checks of UDP services, as ldirectord's: dns against a real dnsmasq (started once for the class), and connect
 * on UDP meaning ping (radius: RadiusProbeTest, against FreeRADIUS; sip: SipProbeTest, against Kamailio).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UdpServiceChecksTest {

    private static final Path DNSMASQ = Path.of("/usr/sbin/dnsmasq");
    /**
     * dnsmasq's address: a loopback address of its own. dnsmasq binds TCP as well as UDP on its port, and a port
     * that was free for UDP on 127.0.0.1 may be the local end of another test's TCP connection from 127.0.0.1
     * (bind(0) picks from the same ephemeral range as connect()); nothing else binds or connects from this one.
     */
    private static final String DNS_ADDRESS = "127.77.0.53";
    private static Process dnsmasq;
    private static int dnsPort;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        if (!Files.isExecutable(DNSMASQ)) {
            return; // the dns tests skip with a message
        }
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(DNS_ADDRESS, 0))) {
            dnsPort = s.getLocalPort();
        }
        dnsmasq = new ProcessBuilder(DNSMASQ.toString(), "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + DNS_ADDRESS,
                "--port=" + dnsPort, "--address=/www.lbd.test/10.1.2.3", "--ptr-record=3.2.1.10.in-addr.arpa,www.lbd.test",
                "--user=" + System.getProperty("user.name"), "--pid-file")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // Ready when it answers (bounded): the first probe that is not a timeout.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline
                && new DnsProbe(dns("www.lbd.test", "10\\.1\\.2\\.3")).check().detail().contains("timed out")) {
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stopDnsmasq() throws InterruptedException {
        if (dnsmasq != null) {
            dnsmasq.destroy();
            dnsmasq.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static CheckSpec dns(String request, String receive) {
        TestConfig c = TestConfig.negotiate(ServiceType.DNS);
        c.protocol = Protocol.UDP;
        c.request = Optional.of(request);
        c.receive = Optional.ofNullable(receive);
        return c.spec(c.real(DNS_ADDRESS, dnsPort));
    }

    private static void assumeDnsmasq() {
        assumeTrue(dnsmasq != null, DNSMASQ + " is absent: install dnsmasq-base (CI does) to run the dns checks");
    }

    @Test
    void dnsIsUpWhenAnARecordOfTheAnswerMatchesReceive() throws Exception {
        assumeDnsmasq();
        ProbeResult r = new DnsProbe(dns("/www.lbd.test", "^10\\.1\\.2\\.")).check(); // ldirectord's leading /
        assertThat(r.up()).as(r.detail()).isTrue();
        assertThat(r.detail()).isEqualTo("negotiate: Success (10.1.2.3)");
    }

    @Test
    void dnsAsksForThePtrRecordOfAnAddressAndMatchesItsName() throws Exception {
        assumeDnsmasq();
        ProbeResult r = new DnsProbe(dns("10.1.2.3", "www\\.lbd\\.test$")).check();
        assertThat(r.up()).as(r.detail()).isTrue();
    }

    @Test
    void dnsIsDownOnAMismatchAnUnknownNameAnEmptyReceiveAndNoServer() throws Exception {
        assumeDnsmasq();
        assertThat(new DnsProbe(dns("www.lbd.test", "^192\\.")).check().detail())
                .startsWith("negotiate: Response mismatch");
        assertThat(new DnsProbe(dns("nothing.lbd.test", ".")).check().detail())
                .startsWith("negotiate: Connection timed out (REFUSED"); // dnsmasq without upstreams
        assertThat(new DnsProbe(dns("www.lbd.test", null)).check().up()).isFalse(); // ldirectord: never matches
        TestConfig c = TestConfig.negotiate(ServiceType.DNS);
        c.protocol = Protocol.UDP;
        c.request = Optional.of("www.lbd.test");
        c.receive = Optional.of(".");
        int closed;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            closed = s.getLocalPort();
        }
        ProbeResult none = new DnsProbe(c.spec(closed)).check();
        assertThat(none.up()).isFalse();
        assertThat(none.detail()).startsWith("negotiate: Connection timed out");
    }

    // ---- connect ----

    @Test
    void connectOnAUdpServiceIsAPingAsInLdirectord() {
        TestConfig c = TestConfig.connect();
        c.protocol = Protocol.UDP;
        assertThat(Probes.forSpec(c.spec(53)).orElseThrow()).isInstanceOf(PingProbe.class);
        c.type = CheckType.NEGOTIATE;
        c.service = ServiceType.DNS;
        assertThat(Probes.forSpec(c.spec(53)).orElseThrow()).isInstanceOf(DnsProbe.class);
    }

    @Test
    void theConnectHalfOfCombinedChecksAlwaysPassesOnUdpAsInLdirectord() throws Exception {
        TestConfig c = TestConfig.negotiate(ServiceType.NONE);
        c.type = CheckType.COMBINED;
        c.connectsPerNegotiate = 2;
        c.protocol = Protocol.UDP;
        Probe combined = Probes.forSpec(c.spec(9)).orElseThrow();
        assertThat(combined.check().up()).isTrue(); // negotiate (none) first
        assertThat(combined.check().detail()).contains("UDP connect() sends nothing");
    }

    static InetAddress loopback() throws IOException {
        return InetAddress.getByName("127.0.0.1");
    }
}
