package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A proxy started on another's event loops (what the director's warm-up does): it serves on the host's threads,
 * with tables and counters of its own, and its shutdown leaves the host serving.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatProxyStartOnTest {

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void servesOnTheHostsLoopsWithCountersOfItsOwnAndLeavesThemRunning(TransportKind transport) throws IOException {
        assumeTrue(NettyTransport.isAvailable(transport), () -> "transport " + transport + " is not available here: "
                + NettyTransport.unavailabilityCause(transport));
        try (NatHarness host = new NatHarness(transport, 2)) {
            Endpoint a = host.server(LoopbackServer.replyName("A")).endpoint();
            Endpoint b = host.server(LoopbackServer.replyName("B")).endpoint();
            host.publish(host.table(SchedulerKind.RR, a));
            host.start();
            long threadsBefore = natThreads();

            Socket reservation = LoopbackServer.reservePort();
            VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP,
                    new Endpoint(reservation.getLocalAddress(), reservation.getLocalPort()));
            reservation.close();
            SnapshotPublisher tables = new SnapshotPublisher();
            tables.publish(new DataPlaneSnapshot(1, Map.of(vip, new ServiceTable(vip, SchedulerKind.RR,
                    List.of(new Destination(0, new RealServerKey(vip, b), ForwardingMethod.MASQ, 1)), Optional.empty(),
                    0, Duration.ofSeconds(2), Duration.ofSeconds(30)))));
            NatProxy guest = new NatProxy(new NatSettings(transport.request(), 2, Duration.ofMillis(500)), tables,
                    "guest", false);
            guest.startOn(host.proxy);
            guest.listen(vip);

            assertThat(reply(vip)).isEqualTo("B");
            assertThat(guest.transport()).isEqualTo(host.proxy.transport());
            assertThat(natThreads()).as("no thread of its own").isEqualTo(threadsBefore);
            assertThat(guest.loopStats().stream().mapToLong(LoopStats::accepted).sum()).isEqualTo(1);
            assertThat(host.proxy.loopStats()).allSatisfy(loop -> assertThat(loop.accepted()).isZero());
            assertThat(host.totals(b).connections()).isZero();

            guest.shutdown(Duration.ofSeconds(2));
            assertThat(reply(host.vip)).isEqualTo("A");
            assertThat(host.proxy.loopStats().stream().mapToLong(LoopStats::accepted).sum()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = "NIO")
    void refusesAnotherNumberOfLoopsThanTheHosts(TransportKind transport) throws IOException {
        try (NatHarness host = new NatHarness(transport, 2)) {
            host.start();
            NatProxy guest = new NatProxy(new NatSettings(transport.request(), 3, Duration.ZERO),
                    new SnapshotPublisher(), "guest", false);
            assertThatThrownBy(() -> guest.startOn(host.proxy)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("3 loops asked for, on a proxy of 2");
        }
    }

    private static long natThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("lbd-nat") || t.getName().startsWith("guest")).count();
    }

    private static String reply(VirtualServiceKey vip) throws IOException {
        try (Socket client = new Socket(vip.address().address(), vip.address().port())) {
            client.setSoTimeout(5_000);
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
