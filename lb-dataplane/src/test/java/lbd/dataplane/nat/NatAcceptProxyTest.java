package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * acceptproxy=yes behind an upstream L4 hop: the upstream's PROXY header (v1 or v2) names the client, and that
 * address is the one the real server learns (the header lbd sends on) and the one sh hashes; a malformed, absent,
 * oversized or trickled header closes only that connection, counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatAcceptProxyTest {

    private static NatHarness h;
    private static List<Endpoint> servers;
    private static final BlockingQueue<byte[]> RECEIVED = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws IOException {
        h = new NatHarness(TransportKind.NIO, 1);
        servers = List.of(h.server(recording("A")).endpoint(), h.server(recording("B")).endpoint());
        h.publish(NatProxyProtocolTest.withNat(h.table(SchedulerKind.SH, servers.toArray(Endpoint[]::new)),
                new NatOptions(ProxyProtocol.V2, true, false)));
        h.start();
    }

    @AfterAll
    static void stop() throws IOException {
        h.close();
    }

    /** Keeps what it received up to the client's FIN and answers its name. */
    private static LoopbackServer.Behaviour recording(String name) {
        return socket -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(bytes);
            RECEIVED.add(bytes.toByteArray());
            socket.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
        };
    }

    @BeforeEach
    void forgetEarlierConnections() {
        RECEIVED.clear();
    }

    @Test
    void aV1HeadersClientIsTheOneTheRealServerLearns() throws Exception {
        String vip = h.vip.address().hostAddress();
        String answer = send("127.0.0.1", ("PROXY TCP4 198.51.100.7 " + vip + " 40000 " + h.vip.address().port()
                + "\r\nhello").getBytes(StandardCharsets.US_ASCII));
        assertThat(answer).isIn("A", "B");
        ProxyHeaders got = ProxyHeaders.decode(RECEIVED.poll(10, TimeUnit.SECONDS));
        assertThat(got.header().sourceAddress()).isEqualTo("198.51.100.7");
        assertThat(got.header().sourcePort()).isEqualTo(40000);
        assertThat(got.header().destinationAddress()).isEqualTo(vip);
        assertThat(got.rest()).isEqualTo("hello");
    }

    @Test
    void aV2HeaderWorksTooAndItsAddressesMayBeIpv6() throws Exception {
        byte[] header = encode(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP6, "2001:db8::7", "2001:db8::1", 50000, 443));
        assertThat(send("127.0.0.1", concat(header, "hi".getBytes(StandardCharsets.US_ASCII)))).isIn("A", "B");
        ProxyHeaders got = ProxyHeaders.decode(RECEIVED.poll(10, TimeUnit.SECONDS));
        assertThat(got.header().proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP6);
        assertThat(InetAddress.getByName(got.header().sourceAddress())).isEqualTo(InetAddress.getByName("2001:db8::7"));
        assertThat(InetAddress.getByName(got.header().destinationAddress()))
                .isEqualTo(InetAddress.getByName("2001:db8::1"));
        assertThat(got.header().destinationPort()).isEqualTo(443);
        assertThat(got.rest()).isEqualTo("hi");
    }

    @Test
    void aLocalHeaderKeepsTheSocketsOwnAddress() throws Exception {
        byte[] header = encode(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL,
                HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0));
        send("127.0.0.9", header);
        ProxyHeaders got = ProxyHeaders.decode(RECEIVED.poll(10, TimeUnit.SECONDS));
        assertThat(got.header().sourceAddress()).isEqualTo("127.0.0.9");
    }

    @Test
    void shHashesTheHeadersAddressNotTheSockets() throws Exception {
        Set<String> one = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            one.add(send("127.0.0." + (20 + i), v1("203.0.113.9")));
        }
        assertThat(one).as("one client behind the upstream, from twelve socket addresses").hasSize(1);
        Set<String> many = new HashSet<>();
        for (int i = 0; i < 40 && many.size() < 2; i++) {
            many.add(send("127.0.0.20", v1("203.0.113." + (100 + i))));
        }
        assertThat(many).as("many clients behind one socket address").containsExactlyInAnyOrder("A", "B");
    }

    @Test
    void aBadHeaderClosesOnlyThatConnectionAndIsCounted() throws Exception {
        long before = rejected();
        try (Socket trickling = connect("127.0.0.30")) {
            trickling.getOutputStream().write("PROXY TCP4 ".getBytes(StandardCharsets.US_ASCII)); // and no more
            assertThat(closedByLbd("127.0.0.31", "NOT A PROXY HEADER\r\n".getBytes(StandardCharsets.US_ASCII))).isTrue();
            assertThat(closedByLbd("127.0.0.32", "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                    .isTrue();
            assertThat(closedByLbd("127.0.0.33", "PROXY TCP4 ".concat("1".repeat(200))
                    .getBytes(StandardCharsets.US_ASCII))).as("a v1 line past 108 bytes").isTrue();
            // Meanwhile a good client is served, while the trickling one still holds its connection.
            assertThat(send("127.0.0.34", v1("203.0.113.50"))).isIn("A", "B");
            assertThat(rejected() - before).isEqualTo(3);
            // The trickling client is closed once its time is up.
            trickling.setSoTimeout((int) TimeUnit.SECONDS.toMillis(ProxyHeaderReader.TIMEOUT_SECONDS + 20));
            assertThat(readsToEnd(trickling.getInputStream())).isTrue();
        }
        assertThat(rejected() - before).isEqualTo(4);
    }

    private static long rejected() {
        return h.proxy.loopStats().stream().mapToLong(LoopStats::proxyHeaderRejected).sum();
    }

    private static byte[] v1(String client) {
        return ("PROXY TCP4 " + client + " " + h.vip.address().hostAddress() + " 40000 " + h.vip.address().port()
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] encode(HAProxyMessage message) {
        EmbeddedChannel channel = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        channel.writeOutbound(message);
        ByteBuf buf = channel.readOutbound();
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        channel.finishAndReleaseAll();
        return bytes;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static Socket connect(String source) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(h.vip.address().toSocketAddress(), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends {@code bytes} and a FIN from {@code source}; the real server's answer. */
    private static String send(String source, byte[] bytes) throws IOException {
        try (Socket s = connect(source)) {
            s.getOutputStream().write(bytes);
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** Sends {@code bytes} (no FIN) and tells whether lbd then closed the connection without any answer. */
    private static boolean closedByLbd(String source, byte[] bytes) throws IOException {
        try (Socket s = connect(source)) {
            s.getOutputStream().write(bytes);
            return readsToEnd(s.getInputStream());
        }
    }

    /** True when the stream ends (FIN or reset) with nothing read. */
    private static boolean readsToEnd(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException reset) {
            return true;
        }
    }
}
