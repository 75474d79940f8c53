package lbd.director.listing;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The last {@value #SAMPLES} rate samples of each key (5 minutes at the estimator's 2 s), for the status page's
 * sparklines: new connections per second and bytes per second (both directions). One owner thread adds (the
 * control thread, right after the rate estimator's sample) and reads; a key missing from a sample (a real server
 * removed) is forgotten. Fixed memory per key, nothing allocated per sample once a key is known.
 */
public final class RateHistory<K> {

    public static final int SAMPLES = 150;

    private final Map<K, Ring> rings = new HashMap<>();

    /** Owner thread: one sample of every key's rates. */
    public void add(Map<K, Rates> sample) {
        for (Iterator<Map.Entry<K, Ring>> it = rings.entrySet().iterator(); it.hasNext(); ) {
            if (!sample.containsKey(it.next().getKey())) {
                it.remove();
            }
        }
        sample.forEach((key, rates) -> rings.computeIfAbsent(key, k -> new Ring())
                .add(rates.cps(), rates.inBps() + rates.outBps()));
    }

    /** Owner thread: a copy of each key's samples, oldest first. */
    public Map<K, Series> snapshot() {
        Map<K, Series> out = new HashMap<>();
        rings.forEach((key, ring) -> out.put(key, ring.series()));
        return Map.copyOf(out);
    }

    /** One key's samples, oldest first (at most {@value #SAMPLES}). */
    public record Series(long[] cps, long[] bytesPerSecond) {

        public static final Series EMPTY = new Series(new long[0], new long[0]);

        public Series plus(Series o) {
            int n = Math.max(cps.length, o.cps.length);
            long[] c = new long[n];
            long[] b = new long[n];
            // Aligned on the newest sample: a key known for less time has fewer samples; its older ones count 0.
            for (int i = 0; i < n; i++) {
                c[i] = at(cps, i, n) + at(o.cps, i, n);
                b[i] = at(bytesPerSecond, i, n) + at(o.bytesPerSecond, i, n);
            }
            return new Series(c, b);
        }

        private static long at(long[] values, int i, int n) {
            int j = i - (n - values.length);
            return j < 0 ? 0 : values[j];
        }
    }

    private static final class Ring {
        private final long[] cps = new long[SAMPLES];
        private final long[] bps = new long[SAMPLES];
        private int next;
        private int size;

        void add(long c, long b) {
            cps[next] = c;
            bps[next] = b;
            next = (next + 1) % SAMPLES;
            size = Math.min(size + 1, SAMPLES);
        }

        Series series() {
            long[] c = new long[size];
            long[] b = new long[size];
            int start = (next - size + SAMPLES) % SAMPLES;
            for (int i = 0; i < size; i++) {
                c[i] = cps[(start + i) % SAMPLES];
                b[i] = bps[(start + i) % SAMPLES];
            }
            return new Series(c, b);
        }
    }
}
