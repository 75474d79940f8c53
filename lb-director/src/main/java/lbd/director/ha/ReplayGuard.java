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
