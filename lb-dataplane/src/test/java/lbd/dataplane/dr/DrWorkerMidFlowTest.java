package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
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
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.junit.jupiter.api.Test;

/**
 * What a DR worker does with a packet that is not a SYN, of a connection it does not know (the rest of a
 * connection another director or an earlier process scheduled): take a handed-over connection to its real
 * server, else schedule it with sloppytcp=yes (with mh: the server any director would pick), else drop it.
 * Frames go through {@link DrWorker#handle} as received from the ring.
 */
class DrWorkerMidFlowTest {

    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP,
            new Endpoint(lbd.dataplane.dr.packet.Net.inet4(TestFrames.VIP), 80));
    private static final long[] MACS = {0x02_00_00_00_01_01L, 0x02_00_00_00_01_02L, 0x02_00_00_00_01_03L};

    private static DrWorker director(boolean sloppy, InheritedFlows inherited) {
        List<Destination> destinations = new ArrayList<>();
        for (int i = 0; i < MACS.length; i++) {
            destinations.add(new Destination(i, server(i), ForwardingMethod.GATE, 1, MACS[i]));
        }
        ServiceTable table = new ServiceTable(SERVICE, SchedulerKind.MH, destinations, Optional.empty(), 0,
                Duration.ofSeconds(5), Duration.ofSeconds(900), Optional.empty(), SchedulerFlags.NONE,
                MaglevTableSize.DEFAULT);
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(SERVICE, table), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(SERVICE), Set.of(), sloppy)));
        return new DrWorker(new PacketSocket[] {null}, new lbd.dataplane.dr.xdp.XdpSocket[1], new long[] {TestFrames.DIRECTOR_MAC},
                new WorkerState(publisher, 0), publisher, new DrStats(), 1024, new LocalDelivery(), inherited);
    }

    private static RealServerKey server(int i) {
        return new RealServerKey(SERVICE, Endpoint.of("198.18.1." + (i + 1), 80));
    }

    /** The destination MAC the worker forwards the packet to, or -1 when it drops it. */
    private static long forward(DrWorker w, int clientPort, int flags) {
        byte[] frame = TestFrames.tcp(TestFrames.CLIENT + clientPort % 7, clientPort, TestFrames.VIP, 80, flags, -1,
                0, 0x4000, 0);
        if (!w.handle(MemorySegment.ofArray(frame), frame.length)) {
            return -1;
        }
        return ByteBuffer.wrap(frame).getLong() >>> 16;
    }

    @Test
    void withSloppyTcpAndMhAMidFlowPacketReachesTheServerTheConnectionHadOnAnotherDirector() {
        DrWorker first = director(false, new InheritedFlows(16));
        DrWorker second = director(true, new InheritedFlows(16));
        int moved = 0;
        for (int port = 1000; port < 1300; port++) {
            long had = forward(first, port, SYN);
            assertThat(had).isIn(MACS[0], MACS[1], MACS[2]);
            assertThat(forward(first, port, ACK)).isEqualTo(had);
            assertThat(forward(second, port, ACK)).as("mid-flow on the other director, client port %d", port)
                    .isEqualTo(had);
            moved++;
        }
        assertThat(moved).isEqualTo(300);
        assertThat(second.flowCount()).isEqualTo(300);
    }

    @Test
    void withoutSloppyTcpAMidFlowPacketOfAnUnknownConnectionIsDroppedAndCounted() {
        DrWorker w = director(false, new InheritedFlows(16));
        assertThat(forward(w, 1000, ACK)).isEqualTo(-1);
        assertThat(w.flowCount()).isZero();
        assertThat(forward(w, 1000, SYN)).as("a SYN is scheduled").isNotEqualTo(-1);
    }

    @Test
    void aHandedOverConnectionGoesToItsOwnServerAndOneWhoseServerIsNotInTheServiceWaits() {
        InheritedFlows inherited = new InheritedFlows(16);
        DrWorker w = director(false, inherited);
        long far = System.nanoTime() / 1_000_000 + 60_000;
        int client = TestFrames.CLIENT + 1000 % 7;
        // The connection from client port 1000 was scheduled elsewhere to server 2, whatever mh says here.
        inherited.put(FlowTable.IPV4, client & 0xFFFF_FFFFL, 1000, FlowTable.IPV4, TestFrames.VIP & 0xFFFF_FFFFL, 80,
                server(2), TcpStates.ESTABLISHED, false, far);
        inherited.put(FlowTable.IPV4, (TestFrames.CLIENT + 1001 % 7) & 0xFFFF_FFFFL, 1001, FlowTable.IPV4,
                TestFrames.VIP & 0xFFFF_FFFFL, 80,
                new RealServerKey(SERVICE, Endpoint.of("198.18.1.99", 80)), TcpStates.ESTABLISHED, false, far);
        assertThat(forward(w, 1000, ACK)).isEqualTo(MACS[2]);
        assertThat(forward(w, 1000, ACK)).as("tracked by the worker from now on").isEqualTo(MACS[2]);
        assertThat(forward(w, 1001, ACK)).as("its server is not in the service (yet)").isEqualTo(-1);
        assertThat(inherited.size()).as("kept for the next retransmission").isEqualTo(1);
    }
}
