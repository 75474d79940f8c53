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
 * @param maxConnections       the ceiling on open proxied connections, all loops together, as HAProxy's global
 *                             maxconn: at it a loop stops accepting until one of its connections closes, so that
 *                             no client is taken in without the descriptors to serve it; 0 = no ceiling. Each loop
 *                             gets an equal share ({@link #connectionShare})
 * @param maxPipes             the most directions that splice at once, all loops together, as HAProxy's maxpipes:
 *                             each holds a kernel pipe (two descriptors, 16 pages) until its connection closes;
 *                             past it further bulk directions are copied. 0 = no limit. Each loop gets an equal
 *                             share ({@link #pipeShare})
 */
public record NatSettings(Transport transport, int eventLoops, Duration drainTimeout, long spliceThresholdBytes,
                          int maxConnections, int maxPipes) {

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
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 0 (0 = no ceiling): " + maxConnections);
        }
        if (maxPipes < 0) {
            throw new IllegalArgumentException("maxPipes must be >= 0 (0 = no limit): " + maxPipes);
        }
    }

    /**
     * With the default splice threshold ({@link #DEFAULT_SPLICE_THRESHOLD_BYTES}), no connection ceiling and no
     * limit on pipes.
     */
    public NatSettings(Transport transport, int eventLoops, Duration drainTimeout) {
        this(transport, eventLoops, drainTimeout, DEFAULT_SPLICE_THRESHOLD_BYTES, 0, 0);
    }

    /** The same settings with another splice threshold (0 = off). */
    public NatSettings withSpliceThresholdBytes(long threshold) {
        return new NatSettings(transport, eventLoops, drainTimeout, threshold, maxConnections, maxPipes);
    }

    /** The same settings with another connection ceiling (0 = none). */
    public NatSettings withMaxConnections(int ceiling) {
        return new NatSettings(transport, eventLoops, drainTimeout, spliceThresholdBytes, ceiling, maxPipes);
    }

    /** The same settings with another limit on splicing directions (0 = none). */
    public NatSettings withMaxPipes(int pipes) {
        return new NatSettings(transport, eventLoops, drainTimeout, spliceThresholdBytes, maxConnections, pipes);
    }

    /** The number of loops actually started. */
    public int effectiveEventLoops() {
        return eventLoops == 0 ? Runtime.getRuntime().availableProcessors() : eventLoops;
    }

    /**
     * Loop {@code index}'s share of {@link #maxConnections} (0 = no ceiling): equal shares, the remainder to the
     * first loops, at least one each. Per loop and not one shared count, so that admitting a connection touches no
     * other loop's cache line; SO_REUSEPORT spreads clients evenly over the loops, so the shares fill together.
     */
    public int connectionShare(int index) {
        return share(maxConnections, index);
    }

    /** Loop {@code index}'s share of {@link #maxPipes} (0 = no limit), divided as {@link #connectionShare}. */
    public int pipeShare(int index) {
        return share(maxPipes, index);
    }

    private int share(int total, int index) {
        if (total == 0) {
            return 0;
        }
        int loops = effectiveEventLoops();
        return Math.max(1, total / loops + (index < total % loops ? 1 : 0));
    }
}
