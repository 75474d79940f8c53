package lbd.health;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What a finished probe costs the checker besides I/O: the probe duration written to its {@link LastCheck}, then
 * {@link SocketCheck#verdict} — the {@link RealServerHealth} state machine and the {@link PublishedVerdict}
 * comparison that decides whether the monitor hears about it. The real {@code SocketCheck} code, over 10,000
 * servers taken in turn (so their state is not all in L1). In steady state nothing changes and nothing is sent:
 * 0 B/op is expected; the run fails if a report was sent.
 *
 * <ul>
 *   <li>{@link #up}: a healthy server connects again ({@code connect: connected}).</li>
 *   <li>{@link #downSteady}: a dead server times out again, with the same (pre-built) reason each time; the
 *   set-up takes every server down first (the reports of that transition are not measured).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class CheckVerdictBenchmark {

    private static final int SERVERS = 10_000;

    private SocketCheck[] checks;
    private int next;
    private long reports;
    private long reportsAtStart;

    @Setup(Level.Trial)
    public void setUp() {
        List<SocketCheck> list = BenchChecks.connectChecks(SERVERS, report -> reports++);
        checks = list.toArray(new SocketCheck[0]);
    }

    /** Puts every server in the state the benchmark keeps it in, then counts reports from there on. */
    @Setup(Level.Iteration)
    public void settle(BenchmarkParams params) {
        boolean down = params.getBenchmark().endsWith(".downSteady");
        for (SocketCheck c : checks) {
            for (int i = 0; i < 3; i++) {
                c.verdict(!down, down ? c.timedOut : SocketCheck.CONNECTED, false);
            }
        }
        reportsAtStart = reports;
    }

    @TearDown(Level.Iteration)
    public void nothingWasReported() {
        if (reports != reportsAtStart) {
            throw new IllegalStateException((reports - reportsAtStart) + " reports sent in a steady state");
        }
    }

    @Benchmark
    public HealthState up() {
        SocketCheck c = nextCheck();
        c.lastCheck.record(120_000);
        c.verdict(true, SocketCheck.CONNECTED, false);
        return c.state();
    }

    @Benchmark
    public HealthState downSteady() {
        SocketCheck c = nextCheck();
        c.lastCheck.record(2_000_000_000L);
        c.verdict(false, c.timedOut, false);
        return c.state();
    }

    private SocketCheck nextCheck() {
        int i = next;
        next = i + 1 == checks.length ? 0 : i + 1;
        return checks[i];
    }
}
