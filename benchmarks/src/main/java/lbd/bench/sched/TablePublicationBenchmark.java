package lbd.bench.sched;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.ServiceSlot;
import lbd.dataplane.worker.WorkerState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole worker path of a new connection — {@code WorkerState.service(key)} (one volatile read of the
 * published snapshot), {@code slot.pick()}, counter updates — while the control plane publishes.
 *
 * <ul>
 *   <li>{@code steady}: no publication; the cost a worker pays per connection in steady state.</li>
 *   <li>{@code publishing}: a control-plane thread publishes a new snapshot (alternating two weight sets, as
 *       health checks flapping would) as fast as it can while a worker picks. The worker re-aligns its slot
 *       whenever the version moved, so this is the worst case: a table swap between almost every pick.
 *       Publishing never blocks the worker and the worker never blocks publication.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TablePublicationBenchmark {

    /** Shared by the control-plane thread and the worker of one group. */
    @State(Scope.Group)
    public static class ControlPlane {

        @Param({"wrr", "wlc"})
        public String scheduler;

        @Param({"16", "1000"})
        public int servers;

        final SnapshotPublisher publisher = new SnapshotPublisher();
        ServiceTable[] tables;
        long version;

        @Setup(Level.Trial)
        public void setUp() {
            SchedulerKind kind = SchedulerKind.fromConfigName(scheduler).orElseThrow();
            tables = new ServiceTable[] {BenchTables.table(kind, servers, 1), BenchTables.table(kind, servers, 2)};
            publisher.publish(new DataPlaneSnapshot(++version, Map.of(BenchTables.SERVICE, tables[0])));
        }

        /** Control-plane thread only. */
        void publishNext() {
            long next = ++version;
            publisher.publish(new DataPlaneSnapshot(next, Map.of(BenchTables.SERVICE, tables[(int) (next & 1)])));
        }
    }

    /** One worker's own state. */
    @State(Scope.Thread)
    public static class Worker {
        WorkerState state;

        @Setup(Level.Trial)
        public void setUp(ControlPlane control) {
            state = new WorkerState(control.publisher, 0);
        }

        int newConnection() {
            ServiceSlot slot = state.service(BenchTables.SERVICE);
            int i = slot.pick();
            DestinationCounters c = slot.counters(i);
            c.connectionScheduled();
            c.inactiveConnectionGone();
            return i;
        }
    }

    @Benchmark
    @Group("steady")
    @GroupThreads(1)
    public int steadyWorker(ControlPlane control, Worker worker) {
        return worker.newConnection();
    }

    @Benchmark
    @Group("publishing")
    @GroupThreads(1)
    public int publishingWorker(ControlPlane control, Worker worker) {
        return worker.newConnection();
    }

    @Benchmark
    @Group("publishing")
    @GroupThreads(1)
    public void publishingControlPlane(ControlPlane control) {
        control.publishNext();
    }
}
