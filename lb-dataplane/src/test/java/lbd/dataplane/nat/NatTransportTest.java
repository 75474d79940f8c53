package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.SchedulerKind;
import lbd.config.model.Transport;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Transport choice, listening (SO_REUSEPORT, IP_FREEBIND) and the proxy's lifecycle. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatTransportTest {

    @Test
    void autoPrefersIoUringThenEpollThenNio() {
        TransportKind expected = NettyTransport.isAvailable(TransportKind.IO_URING) ? TransportKind.IO_URING
                : NettyTransport.isAvailable(TransportKind.EPOLL) ? TransportKind.EPOLL : TransportKind.NIO;
        assertThat(NettyTransport.select(Transport.AUTO).kind()).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void anExplicitRequestGetsThatTransportOrAClearReason(TransportKind kind) {
        if (NettyTransport.isAvailable(kind)) {
            assertThat(NettyTransport.select(kind.request()).kind()).isEqualTo(kind);
        } else {
            assertThatThrownBy(() -> NettyTransport.select(kind.request()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("lbd: transport=" + kind + " is not available on this machine (")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void anUnavailableTransportIsRefusedWithItsCauseAndAutoFallsBackToNio() throws Exception {
        // Netty's own switch makes the native transports unavailable, in a child JVM.
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "-Dio.netty.transport.noNative=true", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), NatTransportProbe.class.getName())
                .redirectErrorStream(true)
                .start();
        try {
            String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(output.lines().filter(l -> !l.contains(" DEBUG ") && !l.isBlank()).toList())
                    .contains("auto=nio")
                    .anySatisfy(l -> assertThat(l).startsWith(
                            "IO_URING=lbd: transport=io_uring is not available on this machine (")
                            .contains("noNative").endsWith("); use transport=auto, or another transport"))
                    .anySatisfy(l -> assertThat(l).startsWith(
                            "EPOLL=lbd: transport=epoll is not available on this machine (")
                            .contains("noNative").endsWith("); use transport=auto, or another transport"));
        } finally {
            child.destroyForcibly();
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void everyLoopListensOnTheSamePort(TransportKind kind) throws IOException {
        assumeAvailable(kind);
        try (NatHarness h = new NatHarness(kind, 3)) {
            Endpoint a = h.server(LoopbackServer.replyName("A")).endpoint();
            h.publish(h.table(SchedulerKind.RR, a));
            h.start(); // three sockets bound to one VIP:port: fails without SO_REUSEPORT
            assertThat(h.proxy.workers()).hasSize(3);
            assertThat(h.proxy.transport()).isEqualTo(kind);
            for (int i = 0; i < 6; i++) {
                try (Socket client = h.connect()) {
                    assertThat(client.getInputStream().readAllBytes()).containsExactly('A');
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"IO_URING", "EPOLL"})
    void nativeTransportsBindAVipNotConfiguredYet(TransportKind kind) throws IOException {
        assumeAvailable(kind);
        // 198.18.0.0/15 is not on any interface here: binding needs IP_FREEBIND. Nothing is sent to it.
        VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.77", 18080));
        NatProxy proxy = new NatProxy(new NatSettings(kind.request(), 2, Duration.ZERO), new SnapshotPublisher());
        try {
            proxy.start();
            proxy.listen(vip);
            proxy.stopListening(vip);
        } finally {
            proxy.close();
        }
    }

    @Test
    void nioCannotBindAnAbsentVipAndSaysWhy() {
        VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.77", 18080));
        NatProxy proxy = new NatProxy(new NatSettings(Transport.NIO, 1, Duration.ZERO), new SnapshotPublisher());
        try {
            proxy.start();
            assertThatThrownBy(() -> proxy.listen(vip))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("lbd: cannot listen on TCP 198.18.0.77:18080: ")
                    .hasMessageContaining("transport=nio cannot bind an address before it is configured")
                    .hasMessageNotContaining("\n");
        } finally {
            proxy.close();
        }
    }

    @Test
    void aPortInUseFailsListenWithOneLine() throws IOException {
        try (LoopbackServer taken = new LoopbackServer(LoopbackServer.replyName("x"))) {
            VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP, taken.endpoint());
            NatProxy proxy = new NatProxy(new NatSettings(Transport.AUTO, 2, Duration.ZERO), new SnapshotPublisher());
            try {
                proxy.start();
                assertThatThrownBy(() -> proxy.listen(vip))
                        .isInstanceOf(IOException.class)
                        .hasMessageStartingWith("lbd: cannot listen on " + vip + ": ")
                        .hasMessageNotContaining("\n");
            } finally {
                proxy.close();
            }
        }
    }

    @Test
    void firewallMarksAreNotProxied() {
        NatProxy proxy = new NatProxy(new NatSettings(Transport.AUTO, 1, Duration.ZERO), new SnapshotPublisher());
        try {
            proxy.start();
            assertThatThrownBy(() -> proxy.listen(
                    new VirtualServiceKey(Protocol.FWM, Endpoint.of("127.0.0.1", 5353))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("TCP and UDP");
        } finally {
            proxy.close();
        }
    }

    @Test
    void startingTwiceIsAnError() {
        NatProxy proxy = new NatProxy(new NatSettings(Transport.AUTO, 1, Duration.ZERO), new SnapshotPublisher());
        try {
            proxy.start();
            assertThatThrownBy(proxy::start).isInstanceOf(IllegalStateException.class);
        } finally {
            proxy.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void shutdownLetsOpenConnectionsFinishWithinTheDrainBound(TransportKind kind) throws Exception {
        assumeAvailable(kind);
        try (NatHarness h = new NatHarness(kind, 1)) {
            Endpoint echo = h.server(LoopbackServer.echo()).endpoint();
            h.publish(h.table(SchedulerKind.RR, echo));
            h.start();
            Socket client = h.connect();
            try {
                client.getOutputStream().write('a');
                InputStream in = client.getInputStream();
                assertThat(in.read()).isEqualTo('a');

                CompletableFuture<Void> shutdown = CompletableFuture.runAsync(
                        () -> h.proxy.shutdown(Duration.ofSeconds(20)));
                // Listeners close first; the open connection keeps working while it drains.
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                        .untilAsserted(() -> assertThatThrownBy(h::connect).isInstanceOf(IOException.class));
                client.getOutputStream().write('b');
                assertThat(in.read()).isEqualTo('b');
                assertThat(shutdown).isNotDone();

                client.shutdownOutput();
                assertThat(in.read()).isEqualTo(-1);
                shutdown.get(10, TimeUnit.SECONDS); // returns once the last connection is gone, not after 20 s
            } finally {
                client.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void shutdownClosesWhatIsLeftAfterTheDrainBound(TransportKind kind) throws Exception {
        assumeAvailable(kind);
        try (NatHarness h = new NatHarness(kind, 1)) {
            Endpoint echo = h.server(LoopbackServer.echo()).endpoint();
            h.publish(h.table(SchedulerKind.RR, echo));
            h.start();
            try (Socket client = h.connect()) {
                client.getOutputStream().write('a');
                assertThat(client.getInputStream().read()).isEqualTo('a');
                h.proxy.shutdown(Duration.ofMillis(200));
                int next;
                try {
                    next = client.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    next = -1;
                }
                assertThat(next).isEqualTo(-1);
            }
        }
    }

    private static void assumeAvailable(TransportKind kind) {
        assumeTrue(NettyTransport.isAvailable(kind),
                () -> "transport " + kind + " is not available here: " + NettyTransport.unavailabilityCause(kind));
    }
}
