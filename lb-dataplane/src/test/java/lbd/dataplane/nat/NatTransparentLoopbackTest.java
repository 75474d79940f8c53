package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.dr.Shell;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * transparent=yes on loopback, where every 127/8 address is this host's, so no policy routing is needed: the
 * connection to the real server is opened from the client's own address (the socket path of each transport:
 * IP_TRANSPARENT, IP_BIND_ADDRESS_NO_PORT, bind, connect). Across hosts, with the routing it needs, this is
 * lb-director's TransparentNamespaceTest. NIO cannot: the client is reset and the real server sees nothing.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatTransparentLoopbackTest {

    private NatHarness harness;
    private final BlockingQueue<InetAddress> peers = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() throws IOException {
        if (harness != null) {
            harness.close();
        }
    }

    private NatHarness start(TransportKind transport, boolean transparent) throws IOException {
        return start(transport, new NatOptions(ProxyProtocol.OFF, false, transparent));
    }

    private NatHarness start(TransportKind transport, NatOptions nat) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
        assumeTrue(Shell.isRoot(), "IP_TRANSPARENT needs CAP_NET_ADMIN; run as root");
        harness = new NatHarness(transport, 1);
        Endpoint server = harness.server(this::answer).endpoint();
        harness.publish(NatProxyProtocolTest.withNat(harness.table(SchedulerKind.RR, server), nat));
        return harness.start();
    }

    /** A real server that notes the address the connection came from and answers "ok". */
    private void answer(Socket socket) throws IOException {
        peers.add(socket.getInetAddress());
        socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        socket.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
        socket.shutdownOutput();
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING"})
    void theRealServerSeesTheClientsOwnAddress(TransportKind transport) throws Exception {
        NatHarness h = start(transport, true);
        for (String client : new String[] {"127.0.0.5", "127.0.0.6", "127.0.0.5"}) {
            assertThat(exchange(h, client)).isEqualTo("ok");
            assertThat(peers.poll(10, TimeUnit.SECONDS)).isEqualTo(InetAddress.getByName(client));
        }
    }

    @Test
    void withoutItTheRealServerSeesTheDirector() throws Exception {
        NatHarness h = start(TransportKind.EPOLL, false);
        assertThat(exchange(h, "127.0.0.5")).isEqualTo("ok");
        assertThat(peers.poll(10, TimeUnit.SECONDS)).isEqualTo(InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void behindAnUpstreamHopTheHeadersClientIsTheSourceAndAnotherFamilyIsReset() throws Exception {
        NatHarness h = start(TransportKind.EPOLL, new NatOptions(ProxyProtocol.OFF, true, true));
        String vip = h.vip.address().hostAddress() + " 40000 " + h.vip.address().port();
        assertThat(exchangeRaw(h, "PROXY TCP4 127.0.0.33 " + vip + "\r\nhello\n")).isEqualTo("ok");
        assertThat(peers.poll(10, TimeUnit.SECONDS)).isEqualTo(InetAddress.getByName("127.0.0.33"));
        // An IPv6 client for an IPv4 real server: it cannot be the source; the client is reset, nothing reaches
        // the real server.
        assertThat(exchangeRaw(h, "PROXY TCP6 2001:db8::7 ::1 40000 80\r\nhello\n")).isEmpty();
        assertThat(peers.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(exchangeRaw(h, "PROXY TCP4 127.0.0.34 " + vip + "\r\nhello\n")).isEqualTo("ok");
        assertThat(peers.poll(10, TimeUnit.SECONDS)).isEqualTo(InetAddress.getByName("127.0.0.34"));
    }

    /** Sends {@code bytes} with a FIN from 127.0.0.1 and returns the answer ("" when reset or closed). */
    private static String exchangeRaw(NatHarness h, String bytes) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(h.vip.address().toSocketAddress(), 5_000);
            client.setSoTimeout(10_000);
            client.getOutputStream().write(bytes.getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (java.net.SocketException reset) {
            return "";
        }
    }

    /** UDP: each flow's socket to the real server is bound to its client's address, on every transport but NIO. */
    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING"})
    void aUdpRealServerSeesTheClientsOwnAddress(TransportKind transport) throws Exception {
        assumeTrue(NettyTransport.isAvailable(transport), () -> "transport " + transport + " is not available");
        assumeTrue(Shell.isRoot(), "IP_TRANSPARENT needs CAP_NET_ADMIN; run as root");
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (UdpHarness udp = new UdpHarness(transport, 1, loopback);
                java.net.DatagramSocket server = new java.net.DatagramSocket(new InetSocketAddress(loopback, 0))) {
            // A real server that answers each datagram with the address it came from.
            Thread.ofVirtual().start(() -> {
                byte[] in = new byte[512];
                while (!server.isClosed()) {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(in, in.length);
                    try {
                        server.receive(p);
                        byte[] out = p.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
                        server.send(new java.net.DatagramPacket(out, out.length, p.getSocketAddress()));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            Endpoint real = new Endpoint(loopback, server.getLocalPort());
            udp.publish(NatProxyProtocolTest.withNat(udp.table(SchedulerKind.RR, 0, java.time.Duration.ofSeconds(30),
                    real), new NatOptions(ProxyProtocol.OFF, false, true)));
            udp.start();
            for (String client : new String[] {"127.0.0.5", "127.0.0.6"}) {
                try (java.net.DatagramSocket socket = new java.net.DatagramSocket(
                        new InetSocketAddress(InetAddress.getByName(client), 0))) {
                    socket.setSoTimeout(5_000);
                    for (int i = 0; i < 2; i++) { // the flow's first datagram, and one on the open flow
                        java.net.DatagramPacket reply = udp.ask(socket, "who");
                        assertThat(reply).as("a reply for %s", client).isNotNull();
                        assertThat(UdpHarness.text(reply)).isEqualTo(client);
                    }
                }
            }
        }
    }

    @Test
    void nioCannotAndResetsTheClient() throws Exception {
        NatHarness h = start(TransportKind.NIO, true);
        assertThatThrownBy(() -> exchange(h, "127.0.0.5")).isInstanceOf(IOException.class);
        assertThat(peers.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    /** Connects from {@code source}, sends a line with a FIN, and returns the answer. */
    private static String exchange(NatHarness h, String source) throws IOException {
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            client.connect(h.vip.address().toSocketAddress(), 5_000);
            client.setSoTimeout(10_000);
            client.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (answer.isEmpty()) {
                throw new IOException("closed without an answer");
            }
            return answer;
        }
    }
}
