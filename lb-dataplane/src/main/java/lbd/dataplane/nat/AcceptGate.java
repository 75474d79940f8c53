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
 * <p>When the process runs short of file descriptors or memory — on an accept, or on the socket for a connection
 * to a real server — every listener of the loop stops accepting for {@link #PAUSE_MILLIS} and then tries again,
 * as HAProxy does: open connections keep being served, new clients wait in the queue (the kernel refuses them
 * only once it is full), and the loop never spins on an accept that keeps failing. Each failure is counted; the
 * log gets one line per interval for the whole process ({@link ResourceAlarm}). Loop thread only.
 */
final class AcceptGate implements Runnable {

    static final long PAUSE_MILLIS = 100;

    private final EventLoop eventLoop;
    private final AcceptCounters counters;
    private final ResourceAlarm alarm;
    private final List<Channel> accepting = new ArrayList<>();
    private boolean paused;

    AcceptGate(EventLoop eventLoop, AcceptCounters counters, ResourceAlarm alarm) {
        this.eventLoop = eventLoop;
        this.counters = counters;
        this.alarm = alarm;
    }

    /** Starts taking connections from {@code listener} (bound with auto-read off), now or when a pause ends. */
    void accept(Channel listener) {
        if (!listener.isOpen() || accepting.contains(listener)) {
            return;
        }
        accepting.add(listener);
        if (!paused) {
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
        paused = true;
        for (Channel listener : accepting) {
            listener.config().setAutoRead(false);
        }
        eventLoop.schedule(this, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The pause is over: accept again on every listener still open. */
    @Override
    public void run() {
        paused = false;
        accepting.removeIf(listener -> !listener.isOpen());
        for (Channel listener : accepting) {
            listener.config().setAutoRead(true);
        }
    }
}
