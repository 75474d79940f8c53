package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * proxyprotocol=v1|v2 through the proxy on every transport: the real server receives one PROXY header with the
 * client's own address and the VIP, then exactly the client's bytes — also the ones the client sent (with its FIN)
 * before the real server was connected.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatProxyProtocolTest {

    private NatHarness harness;
    private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() throws IOException {
        if (harness != null) {
            harness.close();
        }
    }

    private NatHarness start(TransportKind transport, ProxyProtocol version) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
        harness = new NatHarness(transport, 1);
        Endpoint server = harness.server(this::record).endpoint();
        harness.publish(withNat(harness.table(SchedulerKind.RR, server), new NatOptions(version, false, false)));
        return harness.start();
    }

    /** A real server that keeps everything it received up to the client's FIN, then answers "ok". */
    private void record(Socket socket) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        in.transferTo(bytes);
        received.add(bytes.toByteArray());
        socket.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
        socket.shutdownOutput();
    }

    static ServiceTable withNat(ServiceTable t, NatOptions nat) {
        return new ServiceTable(t.key(), t.scheduler(), t.destinations(), t.fallback(), t.maxConnections(),
                t.connectTimeout(), t.idleTimeout(), t.persistence(), t.schedulerFlags(), t.mhTableSize(), t.alsoListen(), nat);
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void v2CarriesTheClientsAddressAndTheVipBeforeItsBytes(TransportKind transport) throws Exception {
        NatHarness h = start(transport, ProxyProtocol.V2);
        Socket client = exchange(h, "127.0.0.5", "hello");
        ProxyHeaders got = ProxyHeaders.decode(received.poll(10, TimeUnit.SECONDS));
        assertThat(got.header().protocolVersion()).isEqualTo(HAProxyProtocolVersion.V2);
        assertThat(got.header().command()).isEqualTo(HAProxyCommand.PROXY);
        assertThat(got.header().proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
        assertThat(got.header().sourceAddress()).isEqualTo("127.0.0.5");
        assertThat(got.header().sourcePort()).isEqualTo(client.getLocalPort());
        assertThat(got.header().destinationAddress()).isEqualTo(h.vip.address().hostAddress());
        assertThat(got.header().destinationPort()).isEqualTo(h.vip.address().port());
        assertThat(got.rest()).isEqualTo("hello");
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void v1IsTheTextLine(TransportKind transport) throws Exception {
        NatHarness h = start(transport, ProxyProtocol.V1);
        Socket client = exchange(h, "127.0.0.6", "GET / HTTP/1.0\r\n\r\n");
        byte[] bytes = received.poll(10, TimeUnit.SECONDS);
        assertThat(new String(bytes, StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP4 127.0.0.6 "
                + h.vip.address().hostAddress() + " " + client.getLocalPort() + " " + h.vip.address().port()
                + "\r\nGET / HTTP/1.0\r\n\r\n");
    }

    @Test
    void offSendsNoHeader() throws Exception {
        NatHarness h = start(TransportKind.NIO, ProxyProtocol.OFF);
        exchange(h, "127.0.0.7", "plain");
        assertThat(new String(received.poll(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).isEqualTo("plain");
    }

    @Test
    void mixedFamiliesAreBothGivenAsIpv6() {
        var header = ProxyHeaderWriter.header(ProxyProtocol.V2, new InetSocketAddress("2001:db8::5", 40000),
                new InetSocketAddress("192.0.2.1", 80));
        assertThat(header.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP6);
        assertThat(header.sourceAddress()).isEqualTo("2001:db8::5");
        assertThat(header.destinationAddress()).isEqualTo("::ffff:192.0.2.1");
        header.release();
    }

    /** Connects from {@code source}, sends {@code request} with a FIN at once, and waits for the answer. */
    private static Socket exchange(NatHarness h, String source, String request) throws IOException {
        Socket client = new Socket();
        client.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        client.connect(h.vip.address().toSocketAddress(), 5_000);
        client.setSoTimeout(10_000);
        client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        client.shutdownOutput();
        assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ok");
        client.close();
        return client;
    }
}
