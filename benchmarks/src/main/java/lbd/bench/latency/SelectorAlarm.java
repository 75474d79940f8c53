package lbd.bench.latency;

import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Wakes a selector at a nanosecond deadline. {@link Selector#select(long)} waits in whole milliseconds, while the
 * load client's requests are due every 25-500 µs: without this it would have to poll (a timed sleep, then a
 * {@code selectNow}, again and again), which costs the load CPU more than the requests do. Here the selector
 * thread blocks in {@code select} until I/O or the alarm; the alarm thread sleeps to the deadline (with 1 µs of
 * timer slack) and calls {@link Selector#wakeup()}. One wake-up per due request, no polling.
 */
final class SelectorAlarm implements AutoCloseable {

    private static final long NONE = Long.MIN_VALUE;

    private final Selector selector;
    private final AtomicLong deadline = new AtomicLong(NONE);
    private final Thread thread;
    private volatile boolean running = true;

    SelectorAlarm(Selector selector) {
        this.selector = selector;
        this.thread = Thread.ofPlatform().daemon().name("fixed-rate-alarm").unstarted(this::run);
        thread.start();
    }

    /** Wakes the selector at {@code nanoTime} (or at once if past); replaces any earlier deadline. */
    void set(long nanoTime) {
        if (deadline.getAndSet(nanoTime) != nanoTime) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        TimerSlack.setForThisThread(1_000);
        while (running) {
            long at = deadline.get();
            if (at == NONE) {
                LockSupport.park(this);
                continue;
            }
            long wait = at - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait); // woken early by set(): the loop reads the new deadline
            } else if (deadline.compareAndSet(at, NONE)) {
                selector.wakeup();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        LockSupport.unpark(thread);
        thread.join(1_000);
    }
}
