package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * sourceaddress= on every transport, on loopback: connections to the real server come from the listed addresses,
 * each in turn. Running out of ports and moving to the next address is lb-director's PortExhaustionNamespaceTest.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatSourceAddressTest {

    private NatHarness harness;
    private final BlockingQueue<InetAddress> peers = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() throws IOException {
        if (harness != null) {
            harness.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void connectionsComeFromEachSourceAddressInTurn(TransportKind transport) throws Exception {
        assumeTrue(NettyTransport.isAvailable(transport),
                () -> "transport " + transport + " is not available here: "
                        + NettyTransport.unavailabilityCause(transport));
        harness = new NatHarness(transport, 1);
        Endpoint server = harness.server(socket -> {
            peers.add(socket.getInetAddress());
            socket.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        }).endpoint();
        List<InetAddress> sources = List.of(InetAddress.getByName("127.0.0.9"), InetAddress.getByName("127.0.0.10"));
        harness.publish(NatProxyProtocolTest.withNat(harness.table(SchedulerKind.RR, server),
                new NatOptions(ProxyProtocol.OFF, false, false, sources)));
        harness.start();
        List<InetAddress> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Socket client = harness.connect()) {
                client.setSoTimeout(10_000);
                assertThat(new String(client.getInputStream().readNBytes(2), StandardCharsets.US_ASCII))
                        .isEqualTo("ok");
            }
            seen.add(peers.poll(10, TimeUnit.SECONDS));
        }
        assertThat(seen).containsExactly(sources.get(0), sources.get(1), sources.get(0), sources.get(1));
    }
}
