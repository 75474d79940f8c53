package lbd.dataplane.dr;

import java.time.Duration;
import java.util.List;
import lbd.dataplane.dr.flow.FlowTable;

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
 * @param xdp             the workers receive the services' frames through AF_XDP ({@link
 *                        lbd.dataplane.dr.xdp.XdpReceive}), the rest through their packet sockets; false: packet
 *                        sockets only
 */
public record DrOptions(List<String> interfaces, int workers, int flowsPerWorker, Duration resolveTimeout,
                        boolean answerArp, boolean startHeld, boolean xdp) {

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
    public static DrOptions defaults() {
        return new DrOptions(List.of(), Runtime.getRuntime().availableProcessors(), MAX_FLOWS_PER_WORKER,
                Duration.ofSeconds(2), true, false, false);
    }

    /**
     * As many connections per worker as let the workers' flow tables, together, take at most {@code heapBytes}
     * (their arrays and a quarter more), between {@link #MIN_FLOWS_PER_WORKER} and {@link #MAX_FLOWS_PER_WORKER}.
     * The tables are allocated whole when direct routing starts; at 1,048,576 each, eight workers would not fit in
     * lbd's default 1 GiB heap, and the JVM would stop at start-up (out of memory).
     */
    public DrOptions withFlowBudget(long heapBytes) {
        long perWorker = heapBytes / workers;
        int low = MIN_FLOWS_PER_WORKER;
        int high = MAX_FLOWS_PER_WORKER;
        while (low < high) { // the most that fits; the table's size grows with its capacity
            int mid = (int) (((long) low + high + 1) / 2);
            if (heapBytes(mid) <= perWorker) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return new DrOptions(interfaces, workers, low, resolveTimeout, answerArp, startHeld, xdp);
    }

    /**
     * The heap one worker's flow table of {@code flows} takes: its arrays ({@link FlowTable#arrayBytes}) and a quarter
     * more, since G1 gives an array this large whole regions (a table of 1,048,576, 114 MiB of arrays, took 129 MiB
     * of a 1 GiB heap).
     */
    public static long heapBytes(int flows) {
        long arrays = FlowTable.arrayBytes(flows);
        return arrays + arrays / 4;
    }

    public DrOptions withInterfaces(List<String> names) {
        return new DrOptions(names, workers, flowsPerWorker, resolveTimeout, answerArp, startHeld, xdp);
    }

    public DrOptions withWorkers(int n) {
        return new DrOptions(interfaces, n, flowsPerWorker, resolveTimeout, answerArp, startHeld, xdp);
    }

    public DrOptions withResolveTimeout(Duration timeout) {
        return new DrOptions(interfaces, workers, flowsPerWorker, timeout, answerArp, startHeld, xdp);
    }

    public DrOptions withArpAnswering(boolean answer) {
        return new DrOptions(interfaces, workers, flowsPerWorker, resolveTimeout, answer, startHeld, xdp);
    }

    public DrOptions withStartHeld(boolean held) {
        return new DrOptions(interfaces, workers, flowsPerWorker, resolveTimeout, answerArp, held, xdp);
    }

    public DrOptions withXdp(boolean receiveThroughXdp) {
        return new DrOptions(interfaces, workers, flowsPerWorker, resolveTimeout, answerArp, startHeld,
                receiveThroughXdp);
    }
}
