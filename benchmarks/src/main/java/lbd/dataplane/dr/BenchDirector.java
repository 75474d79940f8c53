package lbd.dataplane.dr;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;

/**
 * What the DR benchmarks' workers forward for: one TCP service on {@link #VIP}:{@link #VPORT}, wrr over
 * {@link #REAL_SERVERS} gate real servers with resolved MACs, published as a data-plane snapshot; and the random
 * client orders they probe the flow table in. Built in set-up only.
 */
final class BenchDirector {

    static final long DIRECTOR_MAC = 0x02_00_00_00_00_01L;
    static final int VIP = (198 << 24) | (18 << 16) | 1;
    static final int VPORT = 80;
    static final int REAL_SERVERS = 16;

    private BenchDirector() {
    }

    /** A publisher holding the one service's table. */
    static SnapshotPublisher publisher() {
        VirtualServiceKey service = new VirtualServiceKey(Protocol.TCP, Endpoint.of(Net.formatIpv4(VIP), VPORT));
        List<Destination> destinations = new ArrayList<>();
        for (int i = 0; i < REAL_SERVERS; i++) {
            Endpoint real = Endpoint.of("198.19.0." + (i + 1), VPORT);
            destinations.add(new Destination(i, new RealServerKey(service, real), ForwardingMethod.GATE, 1 + i % 3,
                    0x02_00_00_00_01_00L + i));
        }
        ServiceTable table = new ServiceTable(service, SchedulerKind.WRR, destinations, Optional.empty(), 0,
                Duration.ofSeconds(3), Duration.ofSeconds(900));
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(service, table), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(service), Set.of())));
        return publisher;
    }

    /** 0 .. n-1 in a random order, the same for every run (seed 42). */
    static int[] shuffled(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
