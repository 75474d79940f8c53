package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether one event loop's VIP listeners take connections out of the kernel's accept queue.
 *
 * <p>A listener is bound without accepting and starts once its service's table has been published
 * ({@link NatProxy#accept}): until then the kernel holds new clients in its queue, where they wait instead of
 * being reset for want of a table.
 *
 * <p>Two things stop every listener of the loop, as in HAProxy, and both leave new clients waiting in the
 * kernel's queue (which refuses them only once it is full) while open connections keep being served:
 * <ul>
 *   <li>The loop's share of the connection ceiling is taken ({@link #full}): it accepts again as soon as one of
 *       its connections closes ({@link #roomAgain}). This is what normally keeps lbd within its descriptors: a
 *       client is only taken in when there is a descriptor for its real server too.
 *   <li>The process ran short of file descriptors or memory anyway — on an accept, or on the socket for a
 *       connection to a real server (other descriptors used up the limit, or the system's ran out) — and then
 *       it tries again after {@link #PAUSE_MILLIS} ({@link #failed}), never spinning on an accept that keeps
 *       failing.
 * </ul>
 * Each is counted; the log gets one line per interval for the whole process ({@link ResourceAlarm}). Loop thread
 * only.
 */
final class AcceptGate implements Runnable {

    static final long PAUSE_MILLIS = 100;

    private final EventLoop eventLoop;
    private final AcceptCounters counters;
    private final ResourceAlarm alarm;
    private final List<Channel> accepting = new ArrayList<>();
    private boolean paused; // after a shortage, until the timer runs
    private boolean full; // at the loop's share of the ceiling, until a connection closes

    AcceptGate(EventLoop eventLoop, AcceptCounters counters, ResourceAlarm alarm) {
        this.eventLoop = eventLoop;
        this.counters = counters;
        this.alarm = alarm;
    }

    /** Starts taking connections from {@code listener} (bound with auto-read off), now or when it may again. */
    void accept(Channel listener) {
        if (!listener.isOpen() || accepting.contains(listener)) {
            return;
        }
        accepting.add(listener);
        if (open()) {
            listener.config().setAutoRead(true);
        }
    }

    /**
     * {@code cause} failed {@code what} (an accept, or the socket for a connection to a real server): pauses every
     * listener of the loop when it is a shortage of descriptors or memory — and also for any other listener failure,
     * which would otherwise be retried at once, over and over.
     */
    void failed(Throwable cause, String what) {
        ResourceShortage shortage = ResourceShortage.of(cause);
        if (shortage != null) {
            counters.outOfResources();
        }
        alarm.raise(shortage, cause, what);
        if (paused) {
            return;
        }
        boolean wasOpen = open();
        paused = true;
        if (wasOpen) {
            setAutoRead(false);
        }
        eventLoop.schedule(this, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * The loop has {@code open} connections, its whole share of the ceiling: stop accepting until one closes.
     * Clients accepted in the same batch as the last one are still served (the ceiling leaves room for them).
     */
    void full(int open, int share) {
        if (full) {
            return;
        }
        boolean wasOpen = open();
        full = true;
        counters.ceilingReached();
        alarm.ceilingReached(open, share);
        if (wasOpen) {
            setAutoRead(false);
        }
    }

    /** A connection of the loop closed while it was {@link #full}: accept again (unless paused). */
    void roomAgain() {
        if (!full) {
            return;
        }
        full = false;
        if (open()) {
            resume();
        }
    }

    /** The pause after a shortage is over: accept again on every listener still open (unless full). */
    @Override
    public void run() {
        paused = false;
        if (open()) {
            resume();
        }
    }

    private boolean open() {
        return !paused && !full;
    }

    private void resume() {
        accepting.removeIf(listener -> !listener.isOpen());
        setAutoRead(true);
    }

    private void setAutoRead(boolean on) {
        for (Channel listener : accepting) {
            listener.config().setAutoRead(on);
        }
    }
}
