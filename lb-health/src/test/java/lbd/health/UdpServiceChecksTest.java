package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
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
 * The checks of UDP services, as ldirectord's: dns against a real dnsmasq (started once for the class), radius
 * against a RADIUS responder that verifies the request and signs its answer with the shared secret, sip against a
 * responder that records the OPTIONS request, and connect on UDP meaning ping.
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

    // ---- radius ----

    /** Answers Access-Requests: Accept when the hidden password is {@code password}, else Reject; signed. */
    private static final class RadiusResponder implements AutoCloseable {
        final DatagramSocket socket;
        final ConcurrentLinkedQueue<String> users = new ConcurrentLinkedQueue<>();

        RadiusResponder(byte[] secret, String password) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[4096];
                while (!socket.isClosed()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        socket.receive(p);
                        byte[] request = Arrays.copyOf(p.getData(), p.getLength());
                        byte[] answer = answer(request, secret, password);
                        socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private byte[] answer(byte[] request, byte[] secret, String password) {
            byte[] authenticator = Arrays.copyOfRange(request, 4, 20);
            String user = null;
            byte[] hidden = null;
            for (int i = 20; i + 2 <= request.length; ) {
                int type = request[i] & 0xff;
                int length = request[i + 1] & 0xff;
                if (type == 1) {
                    user = new String(request, i + 2, length - 2, StandardCharsets.UTF_8);
                } else if (type == 2) {
                    hidden = Arrays.copyOfRange(request, i + 2, i + length);
                }
                i += length;
            }
            users.add(String.valueOf(user));
            // RFC 2865 5.2: p1 = c1 xor MD5(secret + request authenticator); one 16-byte block is enough here.
            byte[] key = md5(secret, authenticator);
            byte[] plain = new byte[16];
            for (int i = 0; hidden != null && i < 16; i++) {
                plain[i] = (byte) (hidden[i] ^ key[i]);
            }
            String given = new String(plain, StandardCharsets.UTF_8).replace("\0", "");
            byte code = (byte) (given.equals(password) ? 2 : 3);
            ByteBuffer out = ByteBuffer.allocate(20);
            out.put(code).put(request[1]).putShort((short) 20).put(authenticator);
            byte[] response = out.array();
            // RFC 2865 3: Response Authenticator = MD5(Code + ID + Length + Request Authenticator + Attributes + Secret)
            byte[] signature = md5(response, secret);
            System.arraycopy(signature, 0, response, 4, 16);
            return response;
        }

        private static byte[] md5(byte[] a, byte[] b) {
            try {
                MessageDigest md = MessageDigest.getInstance("MD5");
                md.update(a);
                md.update(b);
                return md.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    private static CheckSpec radius(int port, String login, String passwd, String secret) {
        TestConfig c = TestConfig.negotiate(ServiceType.RADIUS);
        c.protocol = Protocol.UDP;
        c.credentials = new CheckCredentials(Optional.of(login), Optional.of(passwd), Optional.empty(),
                Optional.of(secret));
        return c.spec(port);
    }

    @Test
    void radiusIsUpOnlyOnAnAccessAcceptSignedWithTheSecret() throws Exception {
        byte[] secret = "s3cret".getBytes(StandardCharsets.UTF_8);
        try (RadiusResponder server = new RadiusResponder(secret, "right")) {
            ProbeResult accept = new RadiusProbe(radius(server.port(), "lbd", "right", "s3cret")).check();
            assertThat(accept.up()).as(accept.detail()).isTrue();
            ProbeResult reject = new RadiusProbe(radius(server.port(), "lbd", "wrong", "s3cret")).check();
            assertThat(reject.up()).isFalse(); // as ldirectord's check_pwd: only Access-Accept is up
            assertThat(reject.detail()).startsWith("negotiate: Access-Reject");
            // Signed with another secret: the answer's authenticator does not verify, so it is no answer at all.
            ProbeResult forged = new RadiusProbe(radius(server.port(), "lbd", "right", "other")).check();
            assertThat(forged.up()).isFalse();
            assertThat(server.users).containsOnly("lbd");
        }
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
