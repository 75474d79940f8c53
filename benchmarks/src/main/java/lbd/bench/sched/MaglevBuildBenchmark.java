package lbd.bench.sched;

import java.util.concurrent.TimeUnit;
import lbd.config.model.SchedulerKind;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a table change costs an mh worker: rebuilding Maglev's 4093-slot lookup (IPVS's default size) from
 * every server's offset, skip and turns, as the kernel does on each add, edit and delete.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class MaglevBuildBenchmark {

    @Param({"16", "1000"})
    public int servers;

    private ServiceTable table;
    private Scheduler mh;

    @Setup(Level.Trial)
    public void setUp() {
        table = BenchTables.table(SchedulerKind.MH, servers, 42);
        mh = Schedulers.create(SchedulerKind.MH);
    }

    @Benchmark
    public Scheduler rebuild() {
        mh.tableChanged(null, table);
        return mh;
    }
}
