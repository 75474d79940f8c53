package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
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
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.junit.jupiter.api.Test;

/**
 * A DR worker's UDP: a datagram for a UDP gate service is scheduled as a flow (no SYN needed) and the flow's
 * later datagrams follow it; TCP and UDP services on the same VIP:port are apart, each with its own servers.
 * Frames go through {@link DrWorker#handle} as received from the ring.
 */
class DrWorkerUdpTest {

    private static final Endpoint VIP_53 = new Endpoint(Net.inet4(TestFrames.VIP), 53);
    private static final VirtualServiceKey UDP = new VirtualServiceKey(Protocol.UDP, VIP_53);
    private static final VirtualServiceKey TCP = new VirtualServiceKey(Protocol.TCP, VIP_53);
    private static final long UDP_A = 0x02_00_00_00_01_01L;
    private static final long UDP_B = 0x02_00_00_00_01_02L;
    private static final long TCP_MAC = 0x02_00_00_00_02_01L;

    private final DrStats stats = new DrStats();
    private final InheritedFlows inherited = new InheritedFlows(16);

    private DrWorker director(List<VirtualServiceKey> gate) {
        ServiceTable udp = table(UDP, new Destination(0, server(UDP, 1), ForwardingMethod.GATE, 1, UDP_A),
                new Destination(1, server(UDP, 2), ForwardingMethod.GATE, 1, UDP_B));
        ServiceTable tcp = table(TCP, new Destination(0, server(TCP, 3), ForwardingMethod.GATE, 1, TCP_MAC));
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(UDP, udp, TCP, tcp), DataPlaneSnapshot.NO_PREVIOUS,
                Set.of(), DrDirectory.of(gate, Set.of())));
        return new DrWorker(new PacketSocket[] {null}, new lbd.dataplane.dr.xdp.XdpSocket[1], new long[] {TestFrames.DIRECTOR_MAC},
                new WorkerState(publisher, 0), publisher, stats, 1024, new LocalDelivery(), inherited);
    }

    private static ServiceTable table(VirtualServiceKey key, Destination... destinations) {
        return new ServiceTable(key, SchedulerKind.RR, List.of(destinations), Optional.empty(), 0,
                Duration.ofSeconds(5), Duration.ofSeconds(900), Optional.empty(), SchedulerFlags.NONE,
                MaglevTableSize.DEFAULT);
    }

    private static RealServerKey server(VirtualServiceKey service, int i) {
        return new RealServerKey(service, Endpoint.of("198.18.1." + i, 53));
    }

    /** The destination MAC the worker forwards the frame to, or -1 when it drops it. */
    private static long forward(DrWorker w, byte[] frame) {
        if (!w.handle(MemorySegment.ofArray(frame), frame.length)) {
            return -1;
        }
        return ByteBuffer.wrap(frame).getLong() >>> 16;
    }

    private static byte[] datagram(int clientPort) {
        byte[] f = TestFrames.tcp(TestFrames.CLIENT, clientPort, TestFrames.VIP, 53, 0, -1, 0, 0x4000, 12);
        f[14 + 9] = 17;
        return f;
    }

    @Test
    void aDatagramStartsAFlowThatItsLaterDatagramsFollowWithRoundRobinAcrossFlows() {
        DrWorker w = director(List.of(UDP, TCP));
        long first = forward(w, datagram(5000));
        long second = forward(w, datagram(5001));
        assertThat(List.of(first, second)).containsExactlyInAnyOrder(UDP_A, UDP_B);
        for (int i = 0; i < 3; i++) {
            assertThat(forward(w, datagram(5000))).as("the flow of client port 5000").isEqualTo(first);
            assertThat(forward(w, datagram(5001))).as("the flow of client port 5001").isEqualTo(second);
        }
        assertThat(w.flowCount()).isEqualTo(2);
        assertThat(stats.get(lbd.dataplane.dr.packet.FrameParser.UDP)).isEqualTo(8);
        assertThat(stats.get(DrStats.FORWARDED)).isEqualTo(8);
    }

    @Test
    void tcpAndUdpOnOneVipPortAreTwoServicesAndAFragmentIsDroppedAndCounted() {
        DrWorker w = director(List.of(UDP, TCP));
        byte[] syn = TestFrames.tcp(TestFrames.CLIENT, 5000, TestFrames.VIP, 53, 0x02, -1, 0, 0x4000, 0);
        assertThat(forward(w, syn)).isEqualTo(TCP_MAC);
        assertThat(forward(w, datagram(5000))).as("same client port, UDP: its own flow").isIn(UDP_A, UDP_B);
        assertThat(w.flowCount()).isEqualTo(2);
        byte[] fragment = datagram(5000);
        fragment[14 + 6] = 0x20; // more fragments
        assertThat(forward(w, fragment)).isEqualTo(-1);
        assertThat(stats.get(lbd.dataplane.dr.packet.FrameParser.FRAGMENT)).isEqualTo(1);
    }

    @Test
    void anIpv6DatagramStartsAFlowToo() throws Exception {
        byte[] vip6 = new byte[16];
        java.nio.ByteBuffer.wrap(vip6).putLong(TestFrames.NET6).putLong(TestFrames.VIP6);
        VirtualServiceKey udp6 = new VirtualServiceKey(Protocol.UDP,
                new Endpoint(java.net.InetAddress.getByAddress(vip6), 53));
        ServiceTable table = table(udp6,
                new Destination(0, new RealServerKey(udp6, Endpoint.of("fd00:198:18:1::1", 53)), ForwardingMethod.GATE,
                        1, UDP_A));
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(udp6, table), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(udp6), Set.of())));
        DrWorker w = new DrWorker(new PacketSocket[] {null}, new lbd.dataplane.dr.xdp.XdpSocket[1], new long[] {TestFrames.DIRECTOR_MAC},
                new WorkerState(publisher, 0), publisher, stats, 1024, new LocalDelivery(), new InheritedFlows(16));
        byte[] datagram = TestFrames.tcp6(TestFrames.CLIENT6, 7000, TestFrames.VIP6, 53, 0);
        datagram[14 + 6] = 17;
        assertThat(forward(w, datagram.clone())).isEqualTo(UDP_A);
        assertThat(forward(w, datagram.clone())).isEqualTo(UDP_A);
        assertThat(w.flowCount()).isEqualTo(1);
        byte[] tcp = TestFrames.tcp6(TestFrames.CLIENT6, 7000, TestFrames.VIP6, 53, 0x02);
        assertThat(forward(w, tcp)).as("no TCP service on the VIP's port 53").isEqualTo(-1);
        assertThat(stats.get(DrStats.NO_SERVICE)).isEqualTo(1);
    }

    @Test
    void aDatagramForAVipPortWithOnlyATcpGateServiceIsNoService() {
        DrWorker w = director(List.of(TCP));
        assertThat(forward(w, datagram(5000))).isEqualTo(-1);
        assertThat(stats.get(DrStats.NO_SERVICE)).isEqualTo(1);
        assertThat(w.flowCount()).isZero();
    }

    /**
     * 100,000 datagrams, each from a new client address:port, through a worker whose table holds 1024 flows: the
     * table stays full, not beyond; the flood's flows make room for one another (counted as flows-udp-evicted), an
     * established TCP connection's packets keep reaching its server, and a new client's SYN still gets in.
     */
    @Test
    void aFloodOfNewSourcePortsNeverTakesTheEntryOfAnEstablishedConnection() {
        DrWorker w = director(List.of(UDP, TCP));
        assertThat(forward(w, TestFrames.tcp(TestFrames.CLIENT, 6000, TestFrames.VIP, 53, 0x02, -1, 0, 0x4000, 0)))
                .isEqualTo(TCP_MAC);
        byte[] ack = TestFrames.tcp(TestFrames.CLIENT, 6000, TestFrames.VIP, 53, 0x10, -1, 0, 0x4000, 0);
        assertThat(forward(w, ack.clone())).isEqualTo(TCP_MAC);

        byte[] template = datagram(0);
        byte[] frame = new byte[template.length];
        ByteBuffer b = ByteBuffer.wrap(frame);
        int flood = 100_000;
        for (int i = 0; i < flood; i++) {
            System.arraycopy(template, 0, frame, 0, frame.length);
            b.putInt(14 + 12, 0xC612_0000 | (i / 50_000 + 1) << 8 | 7); // 198.18.x.7, a spoofed source
            b.putShort(14 + 20, (short) (1024 + i % 50_000));
            assertThat(forward(w, frame)).isIn(UDP_A, UDP_B);
        }
        assertThat(w.flowCount()).as("the table is full, not beyond").isEqualTo(1024);
        w.countEvictions(); // as the worker does after each batch
        assertThat(stats.get(DrStats.UDP_EVICTED)).isEqualTo(flood - 1023);
        assertThat(stats.get(DrStats.FLOW_TABLE_FULL)).isZero();
        assertThat(forward(w, ack.clone())).as("the established connection's next segment").isEqualTo(TCP_MAC);
        assertThat(forward(w, TestFrames.tcp(TestFrames.CLIENT, 6001, TestFrames.VIP, 53, 0x02, -1, 0, 0x4000, 0)))
                .as("a new client's SYN").isEqualTo(TCP_MAC);
        assertThat(stats.get(DrStats.UNKNOWN_FLOW_NOT_SYN)).isZero();
    }

    /**
     * A UDP flow handed over (a restart's saved state, an upgrade, the other director's sync) goes on to its server
     * from its client's first datagram here, not to the scheduler's next choice; a flow handed over to a server the
     * service no longer has is scheduled afresh. A TCP connection's entry of the same ports stays for TCP.
     */
    @Test
    void aHandedOverUdpFlowGoesOnToItsServerAndOneWhoseServerLeftIsScheduledAfresh() {
        DrWorker w = director(List.of(UDP, TCP));
        long client = TestFrames.CLIENT & 0xFFFF_FFFFL;
        long vip = TestFrames.VIP & 0xFFFF_FFFFL;
        long deadline = System.nanoTime() / 1_000_000 + 60_000;
        // rr would send the first new flow to server 1 (UDP_A): this one was server 2's.
        inherited.put(FlowTable.IPV4, client, 5000, FlowTable.IPV4, vip, 53, true, server(UDP, 2), TcpStates.UDP,
                false, deadline);
        inherited.put(FlowTable.IPV4, client, 5001, FlowTable.IPV4, vip, 53, true, server(UDP, 9), TcpStates.UDP,
                false, deadline);
        inherited.put(FlowTable.IPV4, client, 5002, FlowTable.IPV4, vip, 53, false, server(TCP, 3),
                TcpStates.ESTABLISHED, false, deadline);

        assertThat(forward(w, datagram(5000))).isEqualTo(UDP_B);
        assertThat(forward(w, datagram(5000))).isEqualTo(UDP_B);
        assertThat(stats.get(DrStats.INHERITED_FLOW_TAKEN)).isEqualTo(1);
        assertThat(forward(w, datagram(5001))).as("its server 198.18.1.9 is gone: scheduled").isEqualTo(UDP_A);
        assertThat(forward(w, datagram(5002))).as("a datagram does not take a TCP connection's entry")
                .isIn(UDP_A, UDP_B);
        assertThat(inherited.size()).as("the TCP connection's, still waiting for its segment").isEqualTo(1);
        assertThat(w.flowCount()).isEqualTo(3);
    }
}
