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

    private LastCheck(long nanos) {
        this.nanos = nanos;
    }

    /** No probe has run yet. */
    static LastCheck none() {
        return new LastCheck(NONE);
    }

    static LastCheck of(Optional<Duration> took) {
        return new LastCheck(took.map(Duration::toNanos).orElse(NONE));
    }

    /** A holder that starts where {@code previous} is now (a restarted checker keeps the last duration). */
    static LastCheck copyOf(LastCheck previous) {
        return new LastCheck(previous.nanos);
    }

    /** Called by the owning checker only. */
    void record(long tookNanos) {
        nanos = Math.max(0, tookNanos);
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
