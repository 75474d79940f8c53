package lbd.health;

import java.time.Duration;
import java.util.Optional;

/**
 * How long a real server's last probe took, written in place by that server's checker after every probe and
 * read by anyone through {@link RealServerStatus#lastCheck()}. A volatile long instead of a message per check:
 * the value changes every interval, but nothing an operator acts on does, so it must not wake the event thread.
 */
public final class LastCheck {

    private static final long NONE = -1;

    private volatile long nanos;
    private final CheckDurations durations;

    private LastCheck(long nanos, CheckDurations durations) {
        this.nanos = nanos;
        this.durations = durations;
    }

    /** No probe has run yet. */
    static LastCheck none() {
        return new LastCheck(NONE, new CheckDurations());
    }

    static LastCheck of(Optional<Duration> took) {
        return new LastCheck(took.map(Duration::toNanos).orElse(NONE), new CheckDurations());
    }

    /**
     * A holder that starts where {@code previous} is now (a restarted checker keeps the last duration) and goes on
     * counting into the same histogram.
     */
    static LastCheck copyOf(LastCheck previous) {
        return new LastCheck(previous.nanos, previous.durations);
    }

    /** Called by the owning checker only. */
    void record(long tookNanos) {
        long n = Math.max(0, tookNanos);
        nanos = n;
        durations.record(n);
    }

    /** Every probe's duration so far, in buckets. */
    CheckDurations durations() {
        return durations;
    }

    /** Empty before the first probe (and with checktype on/off). */
    public Optional<Duration> duration() {
        long n = nanos;
        return n < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(n));
    }

    @Override
    public String toString() {
        return duration().map(Texts::duration).orElse("none");
    }
}
