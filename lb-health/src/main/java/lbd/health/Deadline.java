package lbd.health;

import java.net.SocketTimeoutException;
import java.time.Duration;

/** The end of one probe's time budget, for setting socket timeouts to what is left of it. */
final class Deadline {

    private final long endNanos;

    private Deadline(long endNanos) {
        this.endNanos = endNanos;
    }

    static Deadline after(Duration budget) {
        return new Deadline(System.nanoTime() + budget.toNanos());
    }

    /** Milliseconds left, at least 1 (0 would mean "no timeout" to a socket). */
    int remainingMillis() throws SocketTimeoutException {
        long left = endNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000));
    }

    /** What is left, capped at {@code cap}. */
    int remainingMillis(Duration cap) throws SocketTimeoutException {
        return (int) Math.max(1, Math.min(remainingMillis(), cap.toMillis()));
    }
}
