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
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.junit.jupiter.api.Test;

/**
 * A held DR worker (an upgrade's hand-over: the other lbd process forwards) drops every frame, counted as
 * {@code dropped-held}, schedules nothing and keeps no flow; released, it forwards again. Frames go through
 * {@link DrWorker#handle} as received from the ring.
 */
class DrWorkerHoldTest {

    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP,
            new Endpoint(lbd.dataplane.dr.packet.Net.inet4(TestFrames.VIP), 80));
    private static final long SERVER_MAC = 0x02_00_00_00_01_01L;

    private final DrStats stats = new DrStats();
    private final DrWorker worker = worker(stats);

    private static DrWorker worker(DrStats stats) {
        Destination d = new Destination(0, new RealServerKey(SERVICE, Endpoint.of("198.18.1.1", 80)),
                ForwardingMethod.GATE, 1, SERVER_MAC);
        ServiceTable table = new ServiceTable(SERVICE, SchedulerKind.RR, List.of(d), Optional.empty(), 0,
                Duration.ofSeconds(5), Duration.ofSeconds(900), Optional.empty(), SchedulerFlags.NONE,
                MaglevTableSize.DEFAULT);
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(SERVICE, table), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(SERVICE), Set.of(), false)));
        return new DrWorker(new PacketSocket[] {null}, new lbd.dataplane.dr.xdp.XdpSocket[1], new long[] {TestFrames.DIRECTOR_MAC},
                new WorkerState(publisher, 0), publisher, stats, 1024, new LocalDelivery(), new InheritedFlows(16));
    }

    /** The destination MAC the worker forwards a SYN from {@code clientPort} to, or -1 when it drops it. */
    private long syn(int clientPort) {
        byte[] frame = TestFrames.syn(clientPort);
        if (!worker.handle(MemorySegment.ofArray(frame), frame.length)) {
            return -1;
        }
        return ByteBuffer.wrap(frame).getLong() >>> 16;
    }

    @Test
    void aHeldWorkerDropsEveryFrameAndTracksNothing() {
        worker.hold(true);
        assertThat(syn(40000)).isEqualTo(-1);
        byte[] solicitation = TestFrames.neighbourSolicitation(1, 2, 255);
        assertThat(worker.handle(MemorySegment.ofArray(solicitation), solicitation.length)).isFalse();
        assertThat(stats.get(DrStats.HELD)).isEqualTo(2);
        assertThat(stats.get(DrStats.FORWARDED)).isZero();
        assertThat(worker.flowCount()).isZero();
    }

    @Test
    void releasedItForwardsAgain() {
        worker.hold(true);
        assertThat(syn(40001)).isEqualTo(-1);
        worker.hold(false);
        assertThat(syn(40001)).isEqualTo(SERVER_MAC);
        assertThat(stats.get(DrStats.FORWARDED)).isEqualTo(1);
        assertThat(worker.flowCount()).isEqualTo(1);
    }

    @Test
    void theCounterHasItsName() {
        assertThat(DrStats.name(DrStats.HELD)).isEqualTo("dropped-held");
    }
}
