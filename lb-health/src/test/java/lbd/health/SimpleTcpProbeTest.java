package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import lbd.config.model.ServiceType;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SimpleTcpProbeTest {

    /** Reads the whole request (until the prober half-closes), records it, answers, closes. */
    private static final class LineServer implements AutoCloseable {
        final ServerSocket socket;
        final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();

        LineServer(String answer) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        try (Socket s = socket.accept()) {
                            InputStream in = s.getInputStream();
                            ByteArrayOutputStream request = new ByteArrayOutputStream();
                            in.transferTo(request);
                            received.add(request.toString(StandardCharsets.UTF_8));
                            OutputStream out = s.getOutputStream();
                            out.write(answer.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            });
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void sendsTheRequestWithNewlinesAndMatchesAReplyLine() throws Exception {
        try (LineServer server = new LineServer("220 hello\r\n+OK ready\r\n")) {
            TestConfig config = TestConfig.negotiate(ServiceType.SIMPLETCP);
            config.request = Optional.of("PING\\nQUIT\\n");
            config.receive = Optional.of("^\\+OK");
            ProbeResult result = new SimpleTcpProbe(config.spec(server.socket.getLocalPort())).check();
            assertThat(result.up()).isTrue();
            assertThat(server.received).containsExactly("PING\nQUIT\n");
        }
    }

    @Test
    void downWhenNoLineMatches() throws Exception {
        try (LineServer server = new LineServer("-ERR busy\r\n")) {
            TestConfig config = TestConfig.negotiate(ServiceType.SIMPLETCP);
            config.request = Optional.of("PING\\n");
            config.receive = Optional.of("^\\+OK");
            ProbeResult result = new SimpleTcpProbe(config.spec(server.socket.getLocalPort())).check();
            assertThat(result.up()).isFalse();
            assertThat(result.detail()).isEqualTo("negotiate: receive \"^\\+OK\" not matched (10 bytes received)");
        }
    }

    @Test
    void aSilentServerTimesOut() throws Exception {
        try (HungServer hung = new HungServer()) {
            TestConfig config = TestConfig.negotiate(ServiceType.SIMPLETCP);
            config.negotiateTimeout = java.time.Duration.ofMillis(200);
            config.receive = Optional.of("OK");
            ProbeResult result = new SimpleTcpProbe(config.spec(hung.port())).check();
            assertThat(result.detail()).isEqualTo("negotiate: timed out after 200 ms");
        }
    }
}
