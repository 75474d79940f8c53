package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import lbd.config.model.CheckCredentials;
import lbd.config.model.CheckType;
import lbd.config.model.Protocol;
import lbd.config.model.ServiceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checks of UDP services, as ldirectord's: dns against a real dnsmasq (started once for the class), sip against a
 * responder that records the OPTIONS request, and connect on UDP meaning ping (radius: RadiusProbeTest, against
 * FreeRADIUS).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UdpServiceChecksTest {

    private static final Path DNSMASQ = Path.of("/usr/sbin/dnsmasq");
    private static Process dnsmasq;
    private static int dnsPort;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        if (!Files.isExecutable(DNSMASQ)) {
            return; // the dns tests skip with a message
        }
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            dnsPort = s.getLocalPort();
        }
        dnsmasq = new ProcessBuilder(DNSMASQ.toString(), "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
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
        return c.spec(dnsPort);
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

    // ---- sip ----

    @Test
    void sipSendsLdirectordsOptionsRequestAndIsUpOnlyOn200Ok() throws Exception {
        ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
        for (String status : List.of("SIP/2.0 200 OK", "SIP/2.0 404 Not Found")) {
            try (DatagramSocket server = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                Thread.ofVirtual().start(() -> {
                    DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
                    try {
                        server.receive(p);
                        requests.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8));
                        byte[] out = (status + "\r\nCSeq: 63104 OPTIONS\r\n\r\n").getBytes(StandardCharsets.UTF_8);
                        server.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        // closed
                    }
                });
                TestConfig c = TestConfig.negotiate(ServiceType.SIP);
                c.protocol = Protocol.UDP;
                c.credentials = new CheckCredentials(Optional.of("probe@lbd"), Optional.empty(), Optional.empty());
                ProbeResult r = new SipProbe(c.spec(server.getLocalPort())).check();
                assertThat(r.up()).as(r.detail()).isEqualTo(status.endsWith("200 OK"));
            }
        }
        String request = requests.peek();
        assertThat(request).startsWith("OPTIONS sip:probe@lbd SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:")
                .contains(";branch=z9hG4bKhjhs8ass877\r\nMax-Forwards: 70\r\nTo: <sip:probe@lbd>\r\n"
                        + "From: <sip:probe@lbd>;tag=1928301774\r\nCall-ID: ")
                .endsWith("\r\nCSeq: 63104 OPTIONS\r\nContact: <sip:probe@lbd>\r\nAccept: application/sdp\r\n"
                        + "Content-Length: 0\r\n\r\n");
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
