package lbd.bench.sched;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import lbd.dataplane.worker.WorkerState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one health flap costs a data-plane worker: one real server of one service among {@code services}
 * (16 wlc servers each) goes down or comes back, the control plane publishes, and the worker takes its next
 * connection ({@code WorkerState.service}, which re-aligns to the new snapshot).
 *
 * <ul>
 *   <li>{@code everyTableNew}: how lbd published before the conductor — every publication rebuilt every
 *       service's table, so the worker re-installs every slot (O(services)).</li>
 *   <li>{@code changedTableOnly}: the conductor's publication — the unchanged services keep their table
 *       instance and the snapshot names the one that changed, so the worker re-installs one slot (O(1)).</li>
 * </ul>
 * Both include the control plane's side of a publication (a map of every service, copied into the snapshot), which
 * is O(services) in both and small; the difference between them is the worker's.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class HealthFlapBenchmark {

    private static final int SERVERS = 16;

    @Param({"10", "100", "1000"})
    public int services;

    private final SnapshotPublisher publisher = new SnapshotPublisher();
    private WorkerState worker;
    private VirtualServiceKey[] keys;
    // [flap phase][service]: phase 0 all up, phase 1 the first server of the service down (weight 0).
    private ServiceTable[][] copies;
    private Map<VirtualServiceKey, ServiceTable> current;
    private long version;
    private int flap;
    private long installsAtStart;

    /** The slots the worker re-installed per flap: printed once per trial, next to the time. */
    @TearDown(Level.Trial)
    public void reportInstalls() {
        System.out.printf("%n[installs per flap: %.2f over %d flaps]%n",
                (double) (worker.installs() - installsAtStart) / flap, flap);
    }

    @Setup(Level.Trial)
    public void setUp() {
        keys = new VirtualServiceKey[services];
        copies = new ServiceTable[2][services];
        current = new HashMap<>();
        for (int s = 0; s < services; s++) {
            keys[s] = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18." + (s / 250) + "." + (s % 250 + 1), 80));
            copies[0][s] = table(keys[s], 1);
            copies[1][s] = table(keys[s], 0);
            current.put(keys[s], copies[0][s]);
        }
        worker = new WorkerState(publisher, 0);
        publisher.publish(new DataPlaneSnapshot(++version, current));
        worker.service(keys[0]);
        installsAtStart = worker.installs();
    }

    /** Old publication: every service's table is a new instance, no delta. */
    @Benchmark
    public Object everyTableNew() {
        // Each service in turn goes down (phase 1), then comes back (phase 0): every flap changes one table.
        int phase = 1 - (flap & 1);
        int flapping = (flap++ >> 1) % services;
        Map<VirtualServiceKey, ServiceTable> all = new HashMap<>(services * 2);
        for (int s = 0; s < services; s++) {
            // A rebuilt table equal to the last, but a new object: what rebuilding every table produced.
            all.put(keys[s], s == flapping ? copies[phase][s] : table(keys[s], current.get(keys[s]).destinations()));
        }
        current = all;
        publisher.publish(new DataPlaneSnapshot(++version, all));
        return worker.service(keys[flapping]);
    }

    /** The conductor's publication: only the flapping service's table is new, and the snapshot says so. */
    @Benchmark
    public Object changedTableOnly() {
        // Each service in turn goes down (phase 1), then comes back (phase 0): every flap changes one table.
        int phase = 1 - (flap & 1);
        int flapping = (flap++ >> 1) % services;
        Map<VirtualServiceKey, ServiceTable> next = new HashMap<>(current);
        next.put(keys[flapping], copies[phase][flapping]);
        long previous = version;
        current = next;
        publisher.publish(new DataPlaneSnapshot(++version, next, previous, Set.of(keys[flapping])));
        return worker.service(keys[flapping]);
    }

    private static ServiceTable table(VirtualServiceKey key, int firstWeight) {
        List<Destination> list = new ArrayList<>(SERVERS);
        for (int i = 0; i < SERVERS; i++) {
            RealServerKey server = new RealServerKey(key, Endpoint.of("198.19." + (i / 250) + "." + (i % 250 + 1), 80));
            list.add(new Destination(i, server, ForwardingMethod.MASQ, i == 0 ? firstWeight : 1 + i % 5));
        }
        return table(key, list);
    }

    private static ServiceTable table(VirtualServiceKey key, List<Destination> destinations) {
        return new ServiceTable(key, SchedulerKind.WLC, destinations, Optional.empty(), 0, Duration.ofSeconds(3),
                Duration.ofSeconds(900));
    }
}
