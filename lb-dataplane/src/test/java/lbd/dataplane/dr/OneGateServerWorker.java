package lbd.dataplane.dr;

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
import lbd.dataplane.dr.xdp.XdpSocket;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;

/**
 * A DR worker for tests, without sockets (frames handed to it through {@link DrWorker#handle}) or on one: one gate
 * service on
 * {@link TestFrames#VIP}:80 (rr) with one real server, 198.18.1.1:80 at {@link #SERVER_MAC}.
 */
final class OneGateServerWorker {

    static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP,
            new Endpoint(lbd.dataplane.dr.packet.Net.inet4(TestFrames.VIP), 80));
    static final long SERVER_MAC = 0x02_00_00_00_01_01L;

    private OneGateServerWorker() {
    }

    static DrWorker counting(DrStats stats) {
        return on(null, stats);
    }

    /** One that receives and sends on {@code socket} (null: none, for {@link DrWorker#handle} only). */
    static DrWorker on(PacketSocket socket, DrStats stats) {
        Destination d = new Destination(0, new RealServerKey(SERVICE, Endpoint.of("198.18.1.1", 80)),
                ForwardingMethod.GATE, 1, SERVER_MAC);
        ServiceTable table = new ServiceTable(SERVICE, SchedulerKind.RR, List.of(d), Optional.empty(), 0,
                Duration.ofSeconds(5), Duration.ofSeconds(900), Optional.empty(), SchedulerFlags.NONE,
                MaglevTableSize.DEFAULT);
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(SERVICE, table), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(SERVICE), Set.of(), false)));
        return new DrWorker(new PacketSocket[] {socket}, new XdpSocket[1], new long[] {TestFrames.DIRECTOR_MAC},
                new WorkerState(publisher, 0), publisher, stats, 1024, new LocalDelivery(), new InheritedFlows(16));
    }
}
