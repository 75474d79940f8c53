package lbd.dataplane.nat;

import java.time.Duration;
import java.util.Objects;
import lbd.config.model.Transport;

/**
 * How the NAT proxy runs.
 *
 * @param transport    requested Netty transport (AUTO picks io_uring, else epoll, else NIO)
 * @param eventLoops   number of event loops, each with its own listening socket per VIP; 0 = one per core
 * @param drainTimeout on shutdown, how long established connections may keep going after the listeners close
 */
public record NatSettings(Transport transport, int eventLoops, Duration drainTimeout) {

    public NatSettings {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (eventLoops < 0) {
            throw new IllegalArgumentException("eventLoops must be >= 0 (0 = one per core): " + eventLoops);
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative: " + drainTimeout);
        }
    }

    /** The number of loops actually started. */
    public int effectiveEventLoops() {
        return eventLoops == 0 ? Runtime.getRuntime().availableProcessors() : eventLoops;
    }
}
