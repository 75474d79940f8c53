package lbd.health;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * The checktype=connect scheduler without I/O: {@code SocketCheckLoop}'s timer-wheel work for {@code servers} real
 * servers checked every second, one loop wake per operation. SocketCheckLoop's loop methods are private and its
 * thread is tied to its epoll set, so this repeats its steps (on the same {@link DueTimers} it uses: a hashed wheel
 * of its entries themselves, tick 2^22 ns, 256 ticks, collect-then-act order) around the real {@link SocketCheck}s:
 *
 * <ol>
 *   <li>the connects begun on the previous wake complete (what {@code onReady} does when epoll reports
 *   them): cancel the connect-timeout timer, record the probe duration, {@link SocketCheck#verdict}, schedule
 *   the next check at start + checkinterval;</li>
 *   <li>{@code expireTimers}: poll the wheel up to now and begin every check that came due: note the start,
 *   schedule its connect timeout (the socket, connect and epoll_ctl are the I/O left out).</li>
 * </ol>
 *
 * <p>The clock is virtual: each operation advances it by one tick (~4.2 ms), as the loop wakes once a tick when
 * it holds more than 512 timers. The {@code checks} counter is completed checks, so its ns/op is the cost per
 * check; every server must be checked once per interval (rounded up to whole ticks), which the iteration
 * tear-down verifies. 0 B/op is expected. Clock reads: the loop reads System.nanoTime once per wake and once per
 * completed connect; so does this, to charge them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ConnectLoopTimersBenchmark {

    private static final long TICK_NANOS = DueTimers.TICK_NANOS;

    @Param({"1000", "10000"})
    public int servers;

    /** Completed checks: reported by JMH as a secondary result, in ns per check. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Checks {
        public long checks;

        @Setup(Level.Iteration)
        public void reset() {
            checks = 0;
        }
    }

    /** A check and whether a (simulated) connect is in flight, which SocketCheck keeps as its descriptor. */
    private static final class Probe extends DueTimers.Entry {
        final SocketCheck check;
        boolean connecting;
        long completedChecks;

        Probe(SocketCheck check) {
            this.check = check;
        }
    }

    private DueTimers<Probe> timers;
    private ArrayList<Probe> connecting = new ArrayList<>();
    private ArrayList<Probe> completing = new ArrayList<>(); // swapped with connecting on each wake
    private Probe[] probes;
    private long now;
    private long reports;
    private long wakes;
    private long wakesAtStart;
    private long checksAtStart;
    private Checks counter;

    @Setup(Level.Trial)
    public void setUp() {
        List<SocketCheck> checks = BenchChecks.connectChecks(servers, report -> reports++);
        probes = new Probe[checks.size()];
        now = System.nanoTime(); // DueTimers starts an idle wheel from the real clock; the virtual one runs ahead
        timers = new DueTimers<>(now);
        long interval = checks.getFirst().intervalNanos;
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new Probe(checks.get(i));
            // SocketCheckLoop.add spreads first checks at random over the interval; evenly here, so runs repeat.
            schedule(probes[i], now + interval * i / probes.length);
        }
    }

    @Setup(Level.Iteration)
    public void markIteration() {
        wakesAtStart = wakes;
        checksAtStart = totalChecks();
    }

    /** Every server must have been checked once per checkinterval: else the loop is not doing the real work. */
    @TearDown(Level.Iteration)
    public void verify() {
        if (reports != 0) {
            throw new IllegalStateException(reports + " reports sent in a steady state");
        }
        long elapsed = (wakes - wakesAtStart) * TICK_NANOS;
        // A check begins on the first wake at or after its deadline, and the next is due checkinterval after
        // that start: the period is the interval rounded up to whole ticks (as in SocketCheckLoop: 239 ticks ≈ 1.002 s).
        long period = (probes[0].check.intervalNanos + TICK_NANOS - 1) / TICK_NANOS * TICK_NANOS;
        long interval = probes[0].check.intervalNanos;
        long expected = servers * elapsed / period;
        long done = totalChecks() - checksAtStart;
        if (elapsed > 3 * interval && Math.abs(done - expected) > servers) {
            throw new IllegalStateException("expected about " + expected + " checks in " + elapsed + " ns, did "
                    + done);
        }
    }

    @Benchmark
    public int wake(Checks checks) {
        counter = checks;
        wakes++;
        now += TICK_NANOS;
        System.nanoTime(); // the loop reads the clock once per wake
        completeConnects();
        expireTimers(now);
        return connecting.size() + (int) timers.size();
    }

    /** onReady for each connect begun on the previous wake: it connected. */
    private void completeConnects() {
        ArrayList<Probe> ready = connecting;
        connecting = completing;
        completing = ready;
        for (int i = 0; i < ready.size(); i++) {
            Probe p = ready.get(i);
            cancelTimer(p);
            long took = System.nanoTime() - now; // onReady ends the probe at System.nanoTime()
            end(p, true, SocketCheck.CONNECTED, now, took);
        }
        ready.clear();
    }

    private void expireTimers(long at) {
        List<Probe> due = timers.collectDue(at);
        for (int i = 0; i < due.size(); i++) {
            Probe p = due.get(i);
            if (p.connecting) {
                end(p, false, p.check.timedOut, at, at - p.check.startedNanos);
            } else {
                begin(p, at);
            }
        }
    }

    private void begin(Probe p, long at) {
        p.check.startedNanos = at;
        p.connecting = true; // SocketChannel.open + connect: the I/O this benchmark leaves out
        connecting.add(p);
        schedule(p, at + p.check.timeoutNanos);
    }

    private void end(Probe p, boolean up, String reason, long at, long took) {
        p.connecting = false;
        p.check.lastCheck.record(took);
        p.check.verdict(up, reason, false);
        p.completedChecks++;
        counter.checks++;
        schedule(p, p.check.startedNanos + p.check.intervalNanos);
    }

    private void schedule(Probe p, long deadline) {
        timers.schedule(p, deadline);
    }

    private void cancelTimer(Probe p) {
        timers.cancel(p);
    }

    private long totalChecks() {
        long sum = 0;
        for (Probe p : probes) {
            sum += p.completedChecks;
        }
        return sum;
    }
}
