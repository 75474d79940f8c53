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

    public static DrOptions defaults() {
        return new DrOptions(List.of(), Runtime.getRuntime().availableProcessors(), 1 << 20,
                Duration.ofSeconds(2), true, false);
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
