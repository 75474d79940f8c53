package lbd.dataplane.nat;

import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one log line per interval for one kind of event, however many event loops and connections hit it: who
 * logs, and how many were not logged since the last line. Lock-free (one CAS decides which event gets to log).
 */
final class LogThrottle {

    private final long intervalNanos;
    private final AtomicLong lastLoggedNanos;
    private final AtomicLong unlogged = new AtomicLong();

    LogThrottle(long intervalNanos) {
        this.intervalNanos = intervalNanos;
        this.lastLoggedNanos = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** -1 when this event is not logged (counted for the next line), else how many were not since the last. */
    long tryLog() {
        long now = System.nanoTime();
        long last = lastLoggedNanos.get();
        if (now - last < intervalNanos || !lastLoggedNanos.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return -1;
        }
        return unlogged.getAndSet(0);
    }
}
