package lbd.director.listing;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import lbd.dataplane.counter.RealServerStats;

/**
 * Turns cumulative counters into per-second rates, as the IPVS estimator does: the owner samples the totals
 * every interval (2 s, like IPVS) and the rates are the differences divided by the time between samples.
 * A key seen for the first time counts from zero (its counters were created at zero); a counter that went
 * backwards (a real server removed and added again) gives 0, never a negative rate.
 *
 * <p>One owner thread samples (the control thread); {@link #rates()} hands out an immutable map that any
 * thread may read.
 */
public final class RateEstimator<K> {

    /** IPVS's estimator interval: the owner samples this often. */
    public static final Duration INTERVAL = Duration.ofSeconds(2);

    private Map<K, RealServerStats> previous;
    private long previousNanos;
    private volatile Map<K, Rates> rates = Map.of();

    /** Owner thread: records the totals taken at {@code nanos} (System.nanoTime) and recomputes the rates. */
    public void sample(Map<K, RealServerStats> totals, long nanos) {
        if (previous != null && nanos > previousNanos) {
            double seconds = (nanos - previousNanos) / 1e9;
            Map<K, Rates> next = new HashMap<>();
            totals.forEach((key, now) -> next.put(key, rate(previous.getOrDefault(key, RealServerStats.ZERO), now,
                    seconds)));
            rates = Map.copyOf(next);
        }
        previous = Map.copyOf(totals);
        previousNanos = nanos;
    }

    /**
     * Owner thread: {@code lbadm -Z} — these keys' rates read 0 until the next sample measures them again, as
     * IPVS zeroes its estimator with the counters.
     */
    public void zero(Predicate<K> which) {
        Map<K, Rates> next = new HashMap<>(rates);
        next.keySet().removeIf(which);
        rates = Map.copyOf(next);
    }

    /** Any thread: the rates of the last interval (empty before the second sample). */
    public Map<K, Rates> rates() {
        return rates;
    }

    public Rates rates(K key) {
        return rates.getOrDefault(key, Rates.ZERO);
    }

    private static Rates rate(RealServerStats before, RealServerStats now, double seconds) {
        return new Rates(
                perSecond(before.connections(), now.connections(), seconds),
                perSecond(before.packetsIn(), now.packetsIn(), seconds),
                perSecond(before.packetsOut(), now.packetsOut(), seconds),
                perSecond(before.bytesIn(), now.bytesIn(), seconds),
                perSecond(before.bytesOut(), now.bytesOut(), seconds));
    }

    private static long perSecond(long before, long now, double seconds) {
        return now <= before ? 0 : Math.round((now - before) / seconds);
    }
}
