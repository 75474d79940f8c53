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
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import org.junit.jupiter.api.Test;

/**
 * What the taking side of a hand-over (a restart's saved state, an upgrade, the other director's sync) does with
 * UDP flows: leaves them (the client's next datagram is scheduled afresh), while it takes the TCP connection of the
 * same client port and VIP:port to its server.
 */
class FlowHandOverUdpTest {

    private static final int VIP = TestFrames.VIP;
    private static final Endpoint VIP_53 = new Endpoint(lbd.dataplane.dr.packet.Net.inet4(VIP), 53);

    @Test
    void udpFlowsAreLeftAndTheTcpConnectionBesideThemIsTaken() {
        VirtualServiceKey udp = new VirtualServiceKey(Protocol.UDP, VIP_53);
        VirtualServiceKey tcp = new VirtualServiceKey(Protocol.TCP, VIP_53);
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(udp, table(udp), tcp, table(tcp)),
                DataPlaneSnapshot.NO_PREVIOUS, Set.of(), DrDirectory.of(List.of(udp, tcp), Set.of())));
        ByteBuffer buffer = ByteBuffer.allocate(400);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, buffer.capacity(), 0);
        long client = TestFrames.CLIENT & 0xFFFF_FFFFL;
        long vip = VIP & 0xFFFF_FFFFL;
        long rip = lbd.dataplane.dr.packet.Net.ipv4(Endpoint.of("198.18.1.1", 53).address().getAddress())
                & 0xFFFF_FFFFL;
        w.flow(FlowTable.IPV4, client, 4000, FlowTable.IPV4, vip, 53, FlowTable.IPV4, rip, 53, TcpStates.UDP, 60_000,
                false, true);
        w.flow(FlowTable.IPV4, client, 4000, FlowTable.IPV4, vip, 53, FlowTable.IPV4, rip, 53,
                TcpStates.ESTABLISHED, 60_000, false);
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, w.finish())).isNull();
        InheritedFlows inherited = new InheritedFlows(16);

        FlowHandOver.Counts counts = FlowHandOver.importMessage(publisher, inherited, r, 0);

        assertThat(counts.flows()).as("the TCP connection").isEqualTo(1);
        assertThat(counts.left()).as("the UDP flow").isEqualTo(1);
        assertThat(inherited.size()).isEqualTo(1);
    }

    private static ServiceTable table(VirtualServiceKey key) {
        return new ServiceTable(key, SchedulerKind.RR, List.of(new Destination(0,
                new RealServerKey(key, Endpoint.of("198.18.1.1", 53)), ForwardingMethod.GATE, 1, 0x02_00_00_00_01_01L)),
                Optional.empty(), 0, Duration.ofSeconds(5), Duration.ofSeconds(900), Optional.empty(),
                SchedulerFlags.NONE, MaglevTableSize.DEFAULT);
    }
}
