package lbd.health;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long a real server's probes took, every one since it is checked, in fixed buckets (a Prometheus classic
 * histogram): recorded by the server's checker after each probe, read by anyone at scrape time. Fixed memory, no
 * allocation per probe; it survives a restarted checker (a reload that changed the check) as {@link LastCheck} does.
 */
public final class CheckDurations {

    /** Upper bounds of the buckets, in seconds: 1 ms to 30 s (checks run up to their checktimeout), then +Inf. */
    public static final double[] BOUNDS_SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
        10, 30, Double.POSITIVE_INFINITY};

    private final AtomicLongArray counts = new AtomicLongArray(BOUNDS_SECONDS.length);
    private final AtomicLong sumNanos = new AtomicLong();

    /** The owning checker, after each probe (also tests). */
    public void record(long nanos) {
        double seconds = nanos / 1e9;
        int i = 0;
        while (seconds > BOUNDS_SECONDS[i]) {
            i++;
        }
        counts.incrementAndGet(i);
        sumNanos.addAndGet(nanos);
    }

    /** Probes per bucket (not cumulative), in the order of {@link #BOUNDS_SECONDS}. */
    public long[] counts() {
        long[] out = new long[counts.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = counts.get(i);
        }
        return out;
    }

    /** The probes' total duration, in seconds. */
    public double sumSeconds() {
        return sumNanos.get() / 1e9;
    }
}
