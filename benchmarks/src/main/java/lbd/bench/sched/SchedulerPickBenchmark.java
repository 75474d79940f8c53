package lbd.bench.sched;

import java.util.concurrent.TimeUnit;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
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
 * One scheduling decision: {@code Scheduler.pick} for rr, wrr, lc, wlc, sed, nq, sh, mh over 2, 16 and 1000
 * real servers, for a client address that changes at each pick (sh and mh hash it; the others ignore it).
 *
 * <p>The state is per thread ({@link Scope#Thread}): like the data plane, each thread is a worker with its
 * own scheduler and counters over the same shared immutable table. {@link #pick} runs on one thread;
 * {@link #pickOnEveryCore} runs one worker per available core and should show the same time per operation
 * (nothing is shared but read-only data). lc, wlc, sed and nq pick with connections held, then release them, so the
 * counts stay bounded and the choice keeps moving, as in service.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SchedulerPickBenchmark {

    @Param({"rr", "wrr", "lc", "wlc", "sed", "nq", "sh", "mh"})
    public String scheduler;

    @Param({"2", "16", "1000"})
    public int servers;

    private ServiceTable table;
    private DestinationCounters[] counters;
    private Scheduler worker;
    private int client;

    @Setup(Level.Trial)
    public void setUp() {
        SchedulerKind kind = SchedulerKind.fromConfigName(scheduler).orElseThrow();
        table = BenchTables.table(kind, servers, 42);
        counters = BenchTables.counters(servers, Thread.currentThread().threadId());
        worker = Schedulers.create(kind);
        worker.tableChanged(null, table);
    }

    @Benchmark
    @Threads(1)
    public int pick() {
        return pickAndAccount();
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int pickOnEveryCore() {
        return pickAndAccount();
    }

    /** A pick, plus the counter updates a new connection that opens and closes makes (no allocation). */
    private int pickAndAccount() {
        client += 0x9E3779B9; // another client address each time
        int i = worker.pick(table, counters, client);
        DestinationCounters c = counters[i];
        c.connectionScheduled();
        c.inactiveConnectionGone();
        return i;
    }
}
