package lbd.dataplane.dr;

import java.time.Duration;
import java.util.Optional;

/**
 * How the DR data path runs.
 *
 * @param interfaceName   the {@code interface=} directive; empty: the interface that routes to the real servers
 * @param workers         fanout members, one thread each (normally one per core)
 * @param flowsPerWorker  connections each worker tracks
 * @param resolveTimeout  how long to wait for ARP replies from real servers whose MAC is not in the kernel's
 *                        neighbour table
 * @param answerArp       whether lbd answers ARP for (and announces) its DR VIPs from the start; false for the
 *                        backup node of an HA pair until {@link DrDataPlane#setAnswering} says otherwise
 * @param startHeld       the workers start held ({@link DrDataPlane#hold}): the new process of an upgrade, until
 *                        it has the old one's connections
 */
public record DrOptions(Optional<String> interfaceName, int workers, int flowsPerWorker, Duration resolveTimeout,
                        boolean answerArp, boolean startHeld) {

    public DrOptions {
        if (workers < 1) {
            throw new IllegalArgumentException("workers < 1: " + workers);
        }
        if (flowsPerWorker < 1) {
            throw new IllegalArgumentException("flowsPerWorker < 1: " + flowsPerWorker);
        }
    }

    public static DrOptions defaults() {
        return new DrOptions(Optional.empty(), Runtime.getRuntime().availableProcessors(), 1 << 20,
                Duration.ofSeconds(2), true, false);
    }

    public DrOptions withInterface(String name) {
        return new DrOptions(Optional.of(name), workers, flowsPerWorker, resolveTimeout, answerArp, startHeld);
    }

    public DrOptions withWorkers(int n) {
        return new DrOptions(interfaceName, n, flowsPerWorker, resolveTimeout, answerArp, startHeld);
    }

    public DrOptions withResolveTimeout(Duration timeout) {
        return new DrOptions(interfaceName, workers, flowsPerWorker, timeout, answerArp, startHeld);
    }

    public DrOptions withArpAnswering(boolean answer) {
        return new DrOptions(interfaceName, workers, flowsPerWorker, resolveTimeout, answer, startHeld);
    }

    public DrOptions withStartHeld(boolean held) {
        return new DrOptions(interfaceName, workers, flowsPerWorker, resolveTimeout, answerArp, held);
    }
}
