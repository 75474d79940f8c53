package lbd.dataplane.dr;

import java.time.Duration;
import java.util.List;

/**
 * How the DR data path runs.
 *
 * @param interfaces      the {@code interface=} directive: the interfaces VIP traffic is received on; empty: every
 *                        interface that can (the control plane picks them)
 * @param workers         fanout members, one thread each (normally one per core)
 * @param flowsPerWorker  connections each worker tracks
 * @param resolveTimeout  how long to wait for ARP replies from real servers whose MAC is not in the kernel's
 *                        neighbour table
 * @param answerArp       whether lbd answers ARP for (and announces) its DR VIPs from the start; false for the
 *                        backup node of an HA pair until {@link DrDataPlane#setAnswering} says otherwise
 * @param startHeld       the workers start held ({@link DrDataPlane#hold}): the new process of an upgrade, until
 *                        it has the old one's connections
 */
public record DrOptions(List<String> interfaces, int workers, int flowsPerWorker, Duration resolveTimeout,
                        boolean answerArp, boolean startHeld) {

    public DrOptions {
        interfaces = List.copyOf(interfaces);
        if (workers < 1) {
            throw new IllegalArgumentException("workers < 1: " + workers);
        }
        if (flowsPerWorker < 1) {
            throw new IllegalArgumentException("flowsPerWorker < 1: " + flowsPerWorker);
        }
    }

    /** The most connections one worker tracks: its flow table's size when the heap has room for it. */
    public static final int MAX_FLOWS_PER_WORKER = 1 << 20;
    /** The fewest, however small the heap. */
    public static final int MIN_FLOWS_PER_WORKER = 4096;
    /**
     * The heap one tracked connection takes, all of its flow table's arrays together, with the room G1 loses around
     * arrays this large (each takes whole regions): the arrays hold 106 bytes per entry, 114 with a backup
     * director's sync, and a table of 1,048,576 took 129 MiB of a 1 GiB heap (22 % more than its arrays).
     * {@code DrOptionsTest} holds the arrays to it.
     */
    public static final int HEAP_BYTES_PER_FLOW = 144;

    public static DrOptions defaults() {
        return new DrOptions(List.of(), Runtime.getRuntime().availableProcessors(), MAX_FLOWS_PER_WORKER,
                Duration.ofSeconds(2), true, false);
    }

    /**
     * As many connections per worker as let the workers' flow tables, together, take at most {@code heapBytes}
     * ({@link #HEAP_BYTES_PER_FLOW} each), between {@link #MIN_FLOWS_PER_WORKER} and {@link #MAX_FLOWS_PER_WORKER}.
     * The tables are allocated whole when direct routing starts; at 1,048,576 each, eight workers would not fit in
     * lbd's default 1 GiB heap, and the JVM would stop at start-up (out of memory).
     */
    public DrOptions withFlowBudget(long heapBytes) {
        long perWorker = heapBytes / workers / HEAP_BYTES_PER_FLOW;
        int flows = (int) Math.max(MIN_FLOWS_PER_WORKER, Math.min(MAX_FLOWS_PER_WORKER, perWorker));
        return new DrOptions(interfaces, workers, flows, resolveTimeout, answerArp, startHeld);
    }

    public DrOptions withInterfaces(List<String> names) {
        return new DrOptions(names, workers, flowsPerWorker, resolveTimeout, answerArp, startHeld);
    }

    public DrOptions withWorkers(int n) {
        return new DrOptions(interfaces, n, flowsPerWorker, resolveTimeout, answerArp, startHeld);
    }

    public DrOptions withResolveTimeout(Duration timeout) {
        return new DrOptions(interfaces, workers, flowsPerWorker, timeout, answerArp, startHeld);
    }

    public DrOptions withArpAnswering(boolean answer) {
        return new DrOptions(interfaces, workers, flowsPerWorker, resolveTimeout, answer, startHeld);
    }

    public DrOptions withStartHeld(boolean held) {
        return new DrOptions(interfaces, workers, flowsPerWorker, resolveTimeout, answerArp, held);
    }
}
