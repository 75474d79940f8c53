package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.MaglevTableSize;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import org.junit.jupiter.api.Test;

/**
 * What the taking side of a hand-over (a restart's saved state, an upgrade, the other director's sync) does with
 * UDP flows and UDP services' templates: takes them, each to its own service — a UDP flow and the TCP connection of
 * the same client port and VIP:port are two connections, the templates of a TCP and a UDP service on one VIP:port
 * two sets.
 */
class FlowHandOverUdpTest {

    private static final int VIP = TestFrames.VIP;
    private static final Endpoint VIP_53 = new Endpoint(lbd.dataplane.dr.packet.Net.inet4(VIP), 53);

    @Test
    void aUdpFlowAndTheTcpConnectionBesideItAreBothTakenEachAsItsProtocol() {
        VirtualServiceKey udp = new VirtualServiceKey(Protocol.UDP, VIP_53);
        VirtualServiceKey tcp = new VirtualServiceKey(Protocol.TCP, VIP_53);
        SnapshotPublisher publisher = new SnapshotPublisher();
        ServiceTable udpTable = table(udp, Optional.of(new Persistence(600_000, 24, new PersistenceTemplates())));
        ServiceTable tcpTable = table(tcp, Optional.of(new Persistence(600_000, 24, new PersistenceTemplates())));
        publisher.publish(new DataPlaneSnapshot(1, Map.of(udp, udpTable, tcp, tcpTable),
                DataPlaneSnapshot.NO_PREVIOUS, Set.of(), DrDirectory.of(List.of(udp, tcp), Set.of())));
        ByteBuffer buffer = ByteBuffer.allocate(400);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, buffer.capacity(), 0);
        long client = TestFrames.CLIENT & 0xFFFF_FFFFL;
        long vip = VIP & 0xFFFF_FFFFL;
        long rip = lbd.dataplane.dr.packet.Net.ipv4(Endpoint.of("198.18.1.1", 53).address().getAddress())
                & 0xFFFF_FFFFL;
        w.flow(FlowTable.IPV4, client, 4000, FlowTable.IPV4, vip, 53, FlowTable.IPV4, rip, 53, TcpStates.UDP, 60_000,
                true, true);
        w.flow(FlowTable.IPV4, client, 4000, FlowTable.IPV4, vip, 53, FlowTable.IPV4, rip, 53,
                TcpStates.ESTABLISHED, 50_000, false);
        w.template(FlowTable.IPV4, client & 0xFFFF_FF00L, 24, FlowTable.IPV4, vip, 53, FlowTable.IPV4, rip, 53, 90_000,
                600_000, true);
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, w.finish())).isNull();
        InheritedFlows inherited = new InheritedFlows(16);

        FlowHandOver.Counts counts = FlowHandOver.importMessage(publisher, inherited, r, 0);

        assertThat(counts).isEqualTo(new FlowHandOver.Counts(2, 1, 0));
        InheritedFlows.Claim claim = new InheritedFlows.Claim();
        long now = FlowHandOver.nowMillis();
        assertThat(inherited.take(FlowTable.IPV4, client, 4000, FlowTable.IPV4, vip, 53, true, now, claim)).isTrue();
        assertThat(claim.state()).isEqualTo(TcpStates.UDP);
        assertThat(claim.controlled()).isTrue();
        assertThat(claim.server().service()).isEqualTo(udp);
        assertThat(inherited.take(FlowTable.IPV4, client, 4000, FlowTable.IPV4, vip, 53, false, now, claim)).isTrue();
        assertThat(claim.state()).isEqualTo(TcpStates.ESTABLISHED);
        assertThat(claim.server().service()).isEqualTo(tcp);
        // The template joined the UDP service's templates, not the TCP one's.
        assertThat(udpTable.persistence().get().join(FlowTable.IPV4, client, now))
                .isNotEqualTo(PersistenceTemplates.NO_TEMPLATE);
        assertThat(tcpTable.persistence().get().join(FlowTable.IPV4, client, now))
                .isEqualTo(PersistenceTemplates.NO_TEMPLATE);
    }

    private static ServiceTable table(VirtualServiceKey key, Optional<Persistence> persistence) {
        return new ServiceTable(key, SchedulerKind.RR, List.of(new Destination(0,
                new RealServerKey(key, Endpoint.of("198.18.1.1", 53)), ForwardingMethod.GATE, 1, 0x02_00_00_00_01_01L)),
                Optional.empty(), 0, Duration.ofSeconds(5), Duration.ofSeconds(900), persistence,
                SchedulerFlags.NONE, MaglevTableSize.DEFAULT);
    }
}
