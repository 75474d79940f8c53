package lbd.director.ha;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;

/**
 * heartbeat's time syntax: a bare number is seconds ({@code 2}, {@code 1.5}), a number followed by {@code ms} is
 * milliseconds ({@code 1500ms}). lbd also accepts {@code s} ({@code 6s}), as its own configuration writes it.
 */
public final class HeartbeatTime {

    /** The longest time whose nanoseconds fit in a long. */
    static final long MAX_MILLIS = Long.MAX_VALUE / 1_000_000;

    private HeartbeatTime() {
    }

    /** The duration, or throws IllegalArgumentException with a short reason when {@code text} is not a time. */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long scale;
        if (t.endsWith("ms")) {
            scale = 1;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            scale = 1000;
            t = t.substring(0, t.length() - 1);
        } else {
            scale = 1000;
        }
        BigDecimal value;
        try {
            value = new BigDecimal(t.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time (write seconds, e.g. 2, or milliseconds, e.g. 500ms)");
        }
        if (value.signum() <= 0) {
            throw new IllegalArgumentException("'" + text + "' must be more than zero");
        }
        BigDecimal scaled = value.multiply(BigDecimal.valueOf(scale));
        // HaNode and HaStateMachine count in nanoseconds (Duration.toNanos throws past a long's 292 years), and
        // longValue() below would keep the low 64 bits of a larger number (18446744073709553616ms read as 2000 ms).
        if (scaled.compareTo(BigDecimal.valueOf(MAX_MILLIS)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too long (at most " + MAX_MILLIS + "ms, about 292 years)");
        }
        long millis = scaled.longValue();
        if (millis <= 0) {
            throw new IllegalArgumentException("'" + text + "' is less than a millisecond");
        }
        return Duration.ofMillis(millis);
    }

    /** Prints a duration the way an operator writes it: {@code 2s}, {@code 200ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }
}
