package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.ServiceType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Health checks of a proxyprotocol= service send the PROXY header first (HAProxy's check-send-proxy): the LOCAL
 * header with no address, as HAProxy sends for its own checks. Checked against a server that, as nginx with
 * {@code proxy_protocol}, reads the header before anything else and drops a connection without one.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CheckProxyHeaderTest {

    private final BlockingQueue<byte[]> headers = new LinkedBlockingQueue<>();
    private ServerSocket server;
    private Thread acceptor;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
            acceptor.interrupt();
        }
    }

    @Test
    void theBytesAreWhatNettysDecoderReadsAsHaproxysCheckHeader() {
        HAProxyMessage v2 = decode(CheckProxyHeader.bytes(ProxyProtocol.V2));
        assertThat(v2.protocolVersion()).isEqualTo(HAProxyProtocolVersion.V2);
        assertThat(v2.command()).isEqualTo(HAProxyCommand.LOCAL);
        assertThat(v2.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.UNKNOWN);
        HAProxyMessage v1 = decode(CheckProxyHeader.bytes(ProxyProtocol.V1));
        assertThat(v1.protocolVersion()).isEqualTo(HAProxyProtocolVersion.V1);
        assertThat(v1.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.UNKNOWN);
        assertThat(CheckProxyHeader.bytes(ProxyProtocol.OFF)).isEmpty();
    }

    @Test
    void theConnectLoopSendsItOnEveryCheckAndStaysUp() throws Exception {
        int port = start(false);
        TestConfig config = TestConfig.connect();
        config.nat = new NatOptions(ProxyProtocol.V2, false, false);
        RecordingListener listener = new RecordingListener();
        try (HealthMonitor monitor = new HealthMonitor(listener).start()) {
            monitor.apply(config.cluster(List.of(config.real(port))));
            for (int i = 0; i < 3; i++) {
                assertThat(headers.poll(10, TimeUnit.SECONDS)).as("header of check %d", i)
                        .isEqualTo(CheckProxyHeader.bytes(ProxyProtocol.V2));
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> MonitorView.status(monitor, config.key(), port).state() == HealthState.UP);
        }
    }

    @Test
    void theBlockingConnectProbeSendsIt() throws Exception {
        int port = start(false);
        TestConfig config = TestConfig.connect();
        config.nat = new NatOptions(ProxyProtocol.V1, false, false);
        assertThat(new ConnectProbe(config.spec(port)).check().up()).isTrue();
        assertThat(headers.poll(10, TimeUnit.SECONDS)).isEqualTo(CheckProxyHeader.bytes(ProxyProtocol.V1));
    }

    @Test
    void httpChecksSendItBeforeTheRequest() throws Exception {
        int port = start(true);
        TestConfig config = TestConfig.negotiate(ServiceType.HTTP);
        config.nat = new NatOptions(ProxyProtocol.V2, false, false);
        ProbeResult result = new HttpProbe(config.spec(port), false).check();
        assertThat(result.up()).as(result.detail()).isTrue();
        assertThat(headers.poll(10, TimeUnit.SECONDS)).isEqualTo(CheckProxyHeader.bytes(ProxyProtocol.V2));
    }

    @Test
    void simpletcpChecksSendItBeforeTheRequest() throws Exception {
        int port = start(true);
        TestConfig config = TestConfig.negotiate(ServiceType.SIMPLETCP);
        config.request = java.util.Optional.of("GET / HTTP/1.0\\n\\n");
        config.nat = new NatOptions(ProxyProtocol.V1, false, false);
        ProbeResult result = new SimpleTcpProbe(config.spec(port)).check();
        assertThat(result.up()).as(result.detail()).isTrue();
        assertThat(headers.poll(10, TimeUnit.SECONDS)).isEqualTo(CheckProxyHeader.bytes(ProxyProtocol.V1));
    }

    @Test
    void withoutProxyprotocolNoHeaderIsSent() throws Exception {
        int port = start(true);
        TestConfig config = TestConfig.negotiate(ServiceType.HTTP);
        ProbeResult result = new HttpProbe(config.spec(port), false).check();
        assertThat(result.up()).as(result.detail()).isFalse(); // the server drops a connection without a header
        assertThat(new String(headers.poll(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).startsWith("GET /");
    }

    private static HAProxyMessage decode(byte[] bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        HAProxyMessage message = channel.readInbound();
        channel.finishAndReleaseAll();
        return message;
    }

    /**
     * A loopback server that reads the first bytes of each connection as a PROXY header (the 16 bytes of a v2
     * LOCAL header, or a v1 line) and records them; with {@code http}, it then answers an HTTP 200 if a header was
     * there, and closes at once if not.
     */
    private int start(boolean http) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        acceptor = Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5_000);
                    byte[] header = readHeader(s.getInputStream());
                    headers.add(header);
                    boolean proxied = header.length > 5
                            && (header[0] == 0x0D || new String(header, 0, 5, StandardCharsets.US_ASCII).equals("PROXY"));
                    if (http && proxied) {
                        s.getOutputStream().write("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (IOException e) {
                    // a probe that reset early, or the server closing
                }
            }
        });
        return server.getLocalPort();
    }

    private static byte[] readHeader(InputStream in) throws IOException {
        int first = in.read();
        if (first == 0x0D) { // v2: the 16 bytes of a header without addresses
            byte[] rest = in.readNBytes(15);
            byte[] header = new byte[1 + rest.length];
            header[0] = 0x0D;
            System.arraycopy(rest, 0, header, 1, rest.length);
            return header;
        }
        byte[] line = new byte[200]; // else a line up to CRLF (a v1 header, or whatever came instead)
        int n = 0;
        for (int b = first; b >= 0 && n < line.length; b = in.read()) {
            line[n++] = (byte) b;
            if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
                break;
            }
        }
        return Arrays.copyOf(line, n);
    }
}
