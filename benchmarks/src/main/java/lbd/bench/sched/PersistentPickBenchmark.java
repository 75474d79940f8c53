package lbd.bench.sched;

import java.util.concurrent.TimeUnit;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.sched.Scheduler;
import lbd.dataplane.sched.Schedulers;
import lbd.dataplane.table.ServiceTable;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One persistent scheduling decision: a new connection's bind to its client network's template (or the wlc
 * scheduler's choice and a new template), then its release, as a short connection makes them. The templates are
 * shared by every thread ({@link Shared}), as by every event loop; each thread has its own scheduler and
 * counters. Client networks cycle over {@code networks} (each thread its own stride), so after the first round
 * every bind finds its template: what a busy persistent service does. Run with {@code -prof gc}: B/op is 0.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class PersistentPickBenchmark {

    private static final long TIMEOUT_MILLIS = 300_000;

    /** The templates, one instance for all threads. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"1000", "100000"})
        public int networks;

        @Param({"16", "1000"})
        public int servers;

        final PersistenceTemplates templates = new PersistenceTemplates();
        ServiceTable table;

        @Setup(Level.Trial)
        public void setUp() {
            table = BenchTables.table(SchedulerKind.WLC, servers, 42);
        }
    }

    private Shared shared;
    private DestinationCounters[] counters;
    private final PersistenceTemplates.Binding binding = new PersistenceTemplates.Binding();
    private Candidates candidates;
    private long network;
    private long stride;

    @Setup(Level.Trial)
    public void setUp(Shared s) {
        shared = s;
        counters = BenchTables.counters(s.servers, Thread.currentThread().threadId());
        Scheduler scheduler = Schedulers.create(SchedulerKind.WLC);
        scheduler.tableChanged(null, s.table);
        candidates = new Candidates(s.table, scheduler, counters);
        stride = 2 * Thread.currentThread().threadId() + 1;
    }

    @Benchmark
    @Threads(1)
    public int bindAndRelease() {
        return bindAndReleaseOne();
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int bindAndReleaseOnEveryCore() {
        return bindAndReleaseOne();
    }

    private int bindAndReleaseOne() {
        network = (network + stride) % shared.networks;
        long now = System.nanoTime() / 1_000_000;
        shared.templates.bind(0, network, now, TIMEOUT_MILLIS, candidates, binding);
        int index = binding.index();
        DestinationCounters c = counters[index];
        c.connectionScheduled();
        c.inactiveConnectionGone();
        shared.templates.release(binding.handle(), now);
        return index;
    }

    /** What a worker's ServiceSlot answers: an index by key, the scheduler's pick, a key by index. */
    private static final class Candidates implements PersistenceTemplates.Candidates {
        private final ServiceTable table;
        private final Scheduler scheduler;
        private final DestinationCounters[] counters;
        private final java.util.Map<RealServerKey, Integer> index = new java.util.HashMap<>();

        Candidates(ServiceTable table, Scheduler scheduler, DestinationCounters[] counters) {
            this.table = table;
            this.scheduler = scheduler;
            this.counters = counters;
            table.destinations().forEach(d -> index.put(d.key(), d.index()));
        }

        @Override
        public int indexOf(RealServerKey server) {
            Integer i = index.get(server);
            return i == null ? -1 : i;
        }

        @Override
        public int choose() {
            return scheduler.pick(table, counters);
        }

        @Override
        public RealServerKey keyOf(int i) {
            return table.destinations().get(i).key();
        }
    }
}
