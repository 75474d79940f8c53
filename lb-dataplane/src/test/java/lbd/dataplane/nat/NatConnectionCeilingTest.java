package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The connection ceiling (maxconn) through a real proxy: at it the loop takes no client out of the kernel's
 * queue — the client is neither accepted nor reset, it waits — and the first connection to close lets the next
 * one in, which is then served as if nothing had happened. (Under a real descriptor limit: FdExhaustionTest.)
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatConnectionCeilingTest {

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void atTheCeilingTheNextClientWaitsUntilAConnectionCloses(TransportKind transport) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport), () -> transport + " is not available here");
        NatSettings settings = new NatSettings(transport.request(), 1, Duration.ofMillis(500)).withMaxConnections(2);
        List<Socket> clients = new ArrayList<>();
        try (NatHarness h = new NatHarness(settings)) {
            Endpoint echo = h.server(LoopbackServer.echo()).endpoint();
            h.publish(h.table(SchedulerKind.RR, echo));
            h.start();
            // One at a time: clients arriving together may be accepted in one batch (NIO takes up to 16 per
            // wake-up), which the ceiling leaves descriptors for but does not stop.
            for (int i = 0; i < 2; i++) {
                clients.add(h.connect());
                send(clients.get(i), "client " + i + "\n");
                assertThat(line(clients.get(i))).isEqualTo("client " + i);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> ceilingReached(h) == 1);
            clients.add(h.connect()); // the kernel completes the handshake and queues it
            send(clients.get(2), "client 2\n");

            // The third client waits: not accepted, not reset (its line is queued in the kernel, unread).
            clients.get(2).setSoTimeout(300);
            assertThat(lineOrTimeout(clients.get(2))).isNull();
            assertThat(h.proxy.loopStats().getFirst().accepted()).isEqualTo(2);
            assertThat(h.proxy.openConnections()).isEqualTo(2);

            clients.get(0).close();
            clients.get(2).setSoTimeout(5_000);
            assertThat(line(clients.get(2))).as("the waiting client, once a connection closed").isEqualTo("client 2");
            assertThat(h.proxy.loopStats().getFirst().accepted()).isEqualTo(3);
            assertThat(h.proxy.loopStats().getFirst().refused()).isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> ceilingReached(h) == 2); // full again at 2 of 2
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }

    private static long ceilingReached(NatHarness h) {
        return h.proxy.loopStats().getFirst().ceilingReached();
    }

    private static void send(Socket client, String text) throws IOException {
        client.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** The next line from the client's socket, read byte by byte so that nothing after it is consumed. */
    private static String line(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                return line.isEmpty() ? null : line.toString();
            }
            line.append((char) b);
        }
        return line.toString();
    }

    private static String lineOrTimeout(Socket client) throws IOException {
        try {
            return line(client);
        } catch (java.net.SocketTimeoutException waited) {
            return null;
        }
    }
}
