package lbd.director.ha;

import java.util.HashMap;
import java.util.Map;

/**
 * Drops heartbeats seen before. Per peer it keeps the newest generation (the peer's start time) and a sliding
 * window over its sequence numbers, as IPsec does: a message is new when its sequence is above the highest seen,
 * or within the last {@value #WINDOW} and not yet seen (heartbeats sent over two media arrive twice, and UDP may
 * reorder). Messages from an older generation are replays of a previous run. Owned by the HA thread.
 */
public final class ReplayGuard {

    static final int WINDOW = 64;

    private final Map<String, PeerWindow> peers = new HashMap<>();

    /** The verdict on one authenticated message. */
    public enum Verdict {
        FRESH, DUPLICATE, STALE_SEQUENCE, STALE_GENERATION
    }

    /** Checks and, when fresh, records {@code m}. */
    public Verdict check(HeartbeatMessage m) {
        PeerWindow w = peers.get(m.node());
        if (w == null || m.generation() > w.generation) {
            peers.put(m.node(), new PeerWindow(m.generation(), m.sequence()));
            return Verdict.FRESH;
        }
        if (m.generation() < w.generation) {
            return Verdict.STALE_GENERATION;
        }
        long s = m.sequence();
        if (s > w.highest) {
            long shift = s - w.highest;
            w.seen = shift >= WINDOW ? 1L : (w.seen << shift) | 1L;
            w.highest = s;
            return Verdict.FRESH;
        }
        long back = w.highest - s;
        if (back >= WINDOW) {
            return Verdict.STALE_SEQUENCE;
        }
        long bit = 1L << back;
        if ((w.seen & bit) != 0) {
            return Verdict.DUPLICATE;
        }
        w.seen |= bit;
        return Verdict.FRESH;
    }

    /**
     * Where a peer's messages stand: its generation, the highest sequence received and the window's bits below it
     * (bit i: highest - i was received). What {@code lbd upgrade} carries to the new process, so that it takes the
     * peer's next message as the old one would have, and a message the old one received is a replay there too.
     */
    public record Window(long generation, long highest, long seen) {
    }

    /** The peer's window; null before a message of it was received. */
    public Window window(String node) {
        PeerWindow w = peers.get(node);
        return w == null ? null : new Window(w.generation, w.highest, w.seen);
    }

    /** Continues from {@code window} ({@link #window} of another guard); null leaves the peer unknown. */
    public void restore(String node, Window window) {
        if (window == null) {
            peers.remove(node);
            return;
        }
        PeerWindow w = new PeerWindow(window.generation(), window.highest());
        w.seen = window.seen();
        peers.put(node, w);
    }

    private static final class PeerWindow {
        final long generation;
        long highest;
        long seen = 1L; // bit i = highest - i was seen

        PeerWindow(long generation, long highest) {
            this.generation = generation;
            this.highest = highest;
        }
    }
}
