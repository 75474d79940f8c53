package lbd.dataplane.dr;

import static lbd.dataplane.dr.BenchDirector.DIRECTOR_MAC;
import static lbd.dataplane.dr.BenchDirector.VIP;
import static lbd.dataplane.dr.BenchDirector.VPORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.packet.FrameParser;
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
 * A SYN flood on a full flow table, without the socket: each operation is one SYN from a client the worker has not
 * seen (or has forgotten), handled as {@code DrWorker.run} handles it, so the table evicts its oldest half-open
 * entry, an entry not touched since {@code flows} SYNs ago, and tracks the new one in its place. That is what
 * dr-bench's SYN run does to the worker once the table has filled; here it is measured alone, steadily, without the
 * generator and the kernel sharing the CPU.
 *
 * <p>The ring holds twice {@code flows} clients' SYNs in a random order, so that a client comes round again only
 * after it was evicted. Each iteration's tear-down fails the run if a frame was dropped or a SYN did not evict.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DrSynFloodBenchmark {


    /** The flow table's capacity: 100,000 entries spread over ~10 MB, 1,000,000 (the default) over ~100 MB. */
    @Param({"100000", "1000000"})
    public int flows;

    private Arena arena;
    private MemorySegment ring;
    private MemorySegment slot;
    private int clients;
    private DrWorker worker;
    private DrStats stats;
    private long synsSent;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        SnapshotPublisher publisher = BenchDirector.publisher();
        stats = new DrStats();
        worker = new DrWorker(null, new WorkerState(publisher, 0), publisher, DIRECTOR_MAC, stats, flows);

        clients = flows * 2;
        int[] order = BenchDirector.shuffled(clients);
        arena = Arena.ofShared(); // set-up and measurement may run on different JMH threads
        ring = arena.allocate((long) clients * BenchFrames.LENGTH, 64);
        slot = arena.allocate(65536, 64);
        for (int k = 0; k < clients; k++) {
            BenchFrames.write(ring.asSlice((long) k * BenchFrames.LENGTH, BenchFrames.LENGTH), DIRECTOR_MAC,
                    BenchFrames.clientIp(order[k]), BenchFrames.clientPort(order[k]), VIP, VPORT, FrameParser.TCP_SYN);
        }
        for (int k = 0; k < flows; k++) { // the table full of half-open connections
            syn();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public boolean synToAFullTable() {
        return syn();
    }

    private boolean syn() {
        int position = next;
        next = position + 1 == clients ? 0 : position + 1;
        synsSent++;
        MemorySegment.copy(ring, (long) position * BenchFrames.LENGTH, slot, 0, BenchFrames.LENGTH);
        return worker.handle(slot, BenchFrames.LENGTH);
    }

    @TearDown(Level.Iteration)
    public void checkEverySynWasForwardedAndEvicted() {
        worker.countEvictions();
        long forwarded = stats.get(DrStats.FORWARDED);
        long evicted = stats.get(DrStats.HALF_OPEN_EVICTED);
        if (forwarded != synsSent || evicted != synsSent - flows) {
            throw new IllegalStateException("DR SYN flood benchmark: " + synsSent + " SYNs, " + forwarded
                    + " forwarded, " + evicted + " half-open entries evicted (expected " + (synsSent - flows) + ")");
        }
    }
}
