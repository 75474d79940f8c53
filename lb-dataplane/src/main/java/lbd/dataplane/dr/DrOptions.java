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
 */
public record DrOptions(Optional<String> interfaceName, int workers, int flowsPerWorker, Duration resolveTimeout) {

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
                Duration.ofSeconds(2));
    }

    public DrOptions withInterface(String name) {
        return new DrOptions(Optional.of(name), workers, flowsPerWorker, resolveTimeout);
    }

    public DrOptions withWorkers(int n) {
        return new DrOptions(interfaceName, n, flowsPerWorker, resolveTimeout);
    }
}
