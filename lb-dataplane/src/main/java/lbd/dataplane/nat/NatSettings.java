package lbd.dataplane.nat;

import java.time.Duration;
import java.util.Objects;
import lbd.config.model.Transport;

/**
 * How the NAT proxy runs.
 *
 * @param transport            requested Netty transport (AUTO picks io_uring, else epoll, else NIO)
 * @param eventLoops           number of event loops, each with its own listening socket per VIP; 0 = one per core
 * @param drainTimeout         on shutdown, how long established connections may keep going after the listeners close
 * @param spliceThresholdBytes once one direction of a connection has carried this many bytes through user space, it
 *                             moves its further bulk data with zero-copy splice(2) where the transport offers it
 *                             (epoll only); 0 = never splice
 */
public record NatSettings(Transport transport, int eventLoops, Duration drainTimeout, long spliceThresholdBytes) {

    /**
     * Splice a direction once it has moved 1 MiB: requests and small replies never reach it, a download does
     * within its first milliseconds.
     */
    public static final long DEFAULT_SPLICE_THRESHOLD_BYTES = 1L << 20;

    public NatSettings {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (eventLoops < 0) {
            throw new IllegalArgumentException("eventLoops must be >= 0 (0 = one per core): " + eventLoops);
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative: " + drainTimeout);
        }
        if (spliceThresholdBytes < 0) {
            throw new IllegalArgumentException("spliceThresholdBytes must be >= 0 (0 = off): " + spliceThresholdBytes);
        }
    }

    /** With the default splice threshold ({@link #DEFAULT_SPLICE_THRESHOLD_BYTES}). */
    public NatSettings(Transport transport, int eventLoops, Duration drainTimeout) {
        this(transport, eventLoops, drainTimeout, DEFAULT_SPLICE_THRESHOLD_BYTES);
    }

    /** The same settings with another splice threshold (0 = off). */
    public NatSettings withSpliceThresholdBytes(long threshold) {
        return new NatSettings(transport, eventLoops, drainTimeout, threshold);
    }

    /** The number of loops actually started. */
    public int effectiveEventLoops() {
        return eventLoops == 0 ? Runtime.getRuntime().availableProcessors() : eventLoops;
    }
}
