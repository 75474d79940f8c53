package lbd.director.ha;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * At most one warning per key per interval, with the number suppressed since the last one: a flood of forged or
 * replayed heartbeats must not flood the log. Keys are a handful of fixed kinds (never a sender's address, which
 * a forger chooses), so the map stays small. Used by one thread.
 */
final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final Map<String, long[]> last = new HashMap<>(); // key -> {last logged at, suppressed}

    RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
    }

    /** Logs {@code message} unless {@code key} was logged within the interval; true when it was logged. */
    boolean warn(String key, String message, long now) {
        long[] s = last.get(key);
        if (s != null && now - s[0] < intervalNanos) {
            s[1]++;
            return false;
        }
        long suppressed = s == null ? 0 : s[1];
        last.put(key, new long[] {now, 0});
        log.warn(suppressed > 0 ? message + " (" + suppressed + " more like it not logged)" : message);
        return true;
    }
}
