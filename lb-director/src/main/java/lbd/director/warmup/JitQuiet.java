package lbd.director.warmup;

/**
 * When the warm-up has compiled its path: the JIT idle at every sample while the clients completed at least
 * {@link #CONNECTIONS} connections.
 *
 * <p>An empty compile queue alone is not enough. HotSpot's C1 compiles a method with counters only (tier 2) instead
 * of full profiling (tier 3) while C2's queue is long, which for most of the warm-up it is (one C2 thread, sharing
 * the CPU with the event loop and the warm-up's clients and server). Such a method asks the policy again only every
 * 2^{@code Tier2InvokeNotifyFreqLog} = 2,048 calls, and only then, the queue being short, goes on to tier 3 and on
 * to C2; until it calls, the queue is empty and the method is where C2 left it waiting. Ended after two idle samples
 * 50 ms apart (~150 connections), the warm-up left 25–45 of the ~300 methods the connection path runs at tier 4 on
 * tier 2 in three runs of five, and those runs' first second of service ran at 36–41 % of the plateau while C2
 * compiled them (benchmarks/RESULTS.md, "Warm start"). Over 4,096 connections, twice that notification interval,
 * each method called once per connection has asked twice with the queue idle: moved on, it fills the queue again and
 * the window starts anew.
 */
final class JitQuiet {

    static final int CONNECTIONS = 4_096;

    private final int connections;
    private int idleSamples;
    private int idleFrom;

    JitQuiet() {
        this(CONNECTIONS);
    }

    JitQuiet(int connections) {
        this.connections = connections;
    }

    /**
     * One sample: whether the JIT was idle and how many connections the clients had completed; true once it has been
     * idle at every sample (two at least) while {@code connections} more completed.
     */
    boolean sample(boolean idle, int completed) {
        if (!idle) {
            idleSamples = 0;
            return false;
        }
        if (idleSamples++ == 0) {
            idleFrom = completed;
        }
        return idleSamples >= 2 && completed - idleFrom >= connections;
    }
}
