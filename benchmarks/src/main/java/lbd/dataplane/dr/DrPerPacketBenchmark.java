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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The DR data plane's per-frame work, without the socket: exactly what {@code DrWorker.run} does for each frame
 * it takes from the ring — copy the frame out of the ring into its batch slot, then {@link DrWorker#handle}
 * (parse Ethernet + IPv4 + TCP, look up the service, look up or schedule the flow, update the IPVS TCP state and
 * counters, rewrite the MACs). The "ring" is an off-heap segment of prepared frames; the worker is a real
 * {@link DrWorker} (this class sits in its package to reach it) with no socket, over a published table of 16
 * real servers (wrr) and resolved MACs.
 *
 * <ul>
 *   <li>{@link #existingFlow}: an ACK of one of {@code flows} established connections, taken in a random order
 *   (so the flow table is probed as real traffic would, not sequentially).</li>
 *   <li>{@link #newFlow}: one connection that opens and is reset, <b>three frames</b> per operation: the SYN
 *   (the previous, closed connection of the same client port is removed first, as DrWorker does; wrr pick,
 *   insert, timer), the ACK of the handshake (ESTABLISHED) and a RST (CLOSE, timer moved earlier). A RST
 *   straight after the SYN would not do: IPVS's input-only table keeps SYN_RECV on a RST, and a SYN to a
 *   SYN_RECV entry is not a new connection. Cycling over {@code flows} client ports keeps the table bounded
 *   without the worker's expiry pass.</li>
 * </ul>
 * Both must allocate nothing ({@code -prof gc}: {@code gc.alloc.rate.norm} ≈ 0 B/op). Each iteration's
 * tear-down fails the run if a frame was dropped, or if a SYN was not scheduled as a new connection.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DrPerPacketBenchmark {

    // Frames of one client in the ring, in this order.
    private static final int SYN = 0;
    private static final int ACK = 1;
    private static final int RST = 2;

    /** Connections the worker tracks: 1,000 fit in L2; 100,000 spread the table over several MB. */
    @Param({"1000", "100000"})
    public int flows;

    private Arena arena;
    private MemorySegment ring;
    private MemorySegment slot;
    private DrWorker worker;
    private DrStats stats;
    private WorkerState state;
    private long synsSent;
    private int next;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        SnapshotPublisher publisher = BenchDirector.publisher();
        stats = new DrStats();
        state = new WorkerState(publisher, 0);
        worker = new DrWorker(null, state, publisher, DIRECTOR_MAC, stats, flows * 2);

        // Clients are taken in a random order, so that the flow table is probed as real traffic probes it; the
        // ring holds their frames in that same order (per client: SYN, ACK, RST), so that it is read
        // sequentially, as the worker reads the kernel's ring.
        int[] order = BenchDirector.shuffled(flows);
        arena = Arena.ofShared(); // set-up and measurement may run on different JMH threads
        ring = arena.allocate((long) flows * 3 * BenchFrames.LENGTH, 64);
        slot = arena.allocate(65536, 64);
        for (int k = 0; k < flows; k++) {
            int ip = BenchFrames.clientIp(order[k]);
            int port = BenchFrames.clientPort(order[k]);
            BenchFrames.write(frame(k, SYN), DIRECTOR_MAC, ip, port, VIP, VPORT, FrameParser.TCP_SYN);
            BenchFrames.write(frame(k, ACK), DIRECTOR_MAC, ip, port, VIP, VPORT, FrameParser.TCP_ACK);
            BenchFrames.write(frame(k, RST), DIRECTOR_MAC, ip, port, VIP, VPORT,
                    FrameParser.TCP_RST | FrameParser.TCP_ACK);
        }
        // Start from the benchmark's steady state: every client connected (existingFlow), or its last
        // connection reset, so that the next SYN of its port is a new flow from the first operation (newFlow).
        // Clients connect in another order than they are measured in (by client number), so that the flow
        // table's entries, allocated in connection order, are visited at random too.
        int[] positionOf = new int[flows];
        for (int k = 0; k < flows; k++) {
            positionOf[order[k]] = k;
        }
        boolean reset = params.getBenchmark().endsWith(".newFlow");
        for (int client = 0; client < flows; client++) {
            receive(positionOf[client], SYN);
            receive(positionOf[client], ACK);
            if (reset) {
                receive(positionOf[client], RST);
            }
        }
        expectForwarded();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public boolean existingFlow() {
        return receive(nextClient(), ACK);
    }

    @Benchmark
    public boolean newFlow() {
        int position = nextClient();
        return receive(position, SYN) & receive(position, ACK) & receive(position, RST);
    }

    private MemorySegment frame(int position, int kind) {
        return ring.asSlice(((long) position * 3 + kind) * BenchFrames.LENGTH, BenchFrames.LENGTH);
    }

    /** What DrWorker.run does per frame: copy it from the ring into the batch slot, then handle it there. */
    private boolean receive(int position, int kind) {
        if (kind == SYN) {
            synsSent++;
        }
        MemorySegment.copy(ring, ((long) position * 3 + kind) * BenchFrames.LENGTH, slot, 0, BenchFrames.LENGTH);
        return worker.handle(slot, BenchFrames.LENGTH);
    }

    /** The ring position of the next client: 0, 1, ... (a random client order, laid out in the ring). */
    private int nextClient() {
        int i = next;
        next = i + 1 == flows ? 0 : i + 1;
        return i;
    }

    /** A benchmark that measured drops would be meaningless: every frame so far must have been forwarded. */
    private void expectForwarded() {
        long received = stats.get(DrStats.RECEIVED);
        long forwarded = stats.get(DrStats.FORWARDED);
        if (forwarded != received) {
            StringBuilder why = new StringBuilder("DR benchmark frames were dropped: ");
            for (int c = 0; c < DrStats.COUNT; c++) {
                if (stats.get(c) != 0) {
                    why.append(DrStats.name(c)).append('=').append(stats.get(c)).append(' ');
                }
            }
            throw new IllegalStateException(why.toString().trim());
        }
    }

    @TearDown(Level.Iteration)
    public void checkEveryFrameWasForwarded() {
        expectForwarded();
        long[] scheduled = new long[1];
        state.forEachCounters((key, counters) -> scheduled[0] += counters.connectionsVolatile());
        if (scheduled[0] != synsSent) {
            throw new IllegalStateException("DR benchmark: " + synsSent + " SYNs sent but " + scheduled[0]
                    + " connections scheduled; the SYNs did not all open new flows");
        }
    }
}
