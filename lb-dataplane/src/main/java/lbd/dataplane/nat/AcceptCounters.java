package lbd.dataplane.nat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One event loop's admission counters: connections its VIP listeners accepted, those it scheduled to a real
 * server (or the fallback), and those it closed at once (no real server, maxconns share used up, or the
 * service just left the table) — so accepted = scheduled + refused; and the times an accept or the socket for a
 * connection to a real server failed for want of file descriptors or memory, and the times the loop's listeners
 * stopped at its share of the connection ceiling ({@link AcceptGate}); and the UDP datagrams it dropped. For UDP
 * a new flow (a datagram from a client address:port the loop holds no flow for) counts as accepted, then as
 * scheduled or refused. Written only by the loop's thread (plain
 * read, release write: no lock, no CAS); read by anyone with acquire reads, as
 * {@link lbd.dataplane.counter.DestinationCounters} is.
 */
final class AcceptCounters {

    private static final VarHandle ACCEPTED;
    private static final VarHandle SCHEDULED;
    private static final VarHandle REFUSED;
    private static final VarHandle OUT_OF_RESOURCES;
    private static final VarHandle CEILING_REACHED;
    private static final VarHandle DATAGRAMS_DROPPED;
    private static final VarHandle PROXY_HEADER_REJECTED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACCEPTED = l.findVarHandle(AcceptCounters.class, "accepted", long.class);
            SCHEDULED = l.findVarHandle(AcceptCounters.class, "scheduled", long.class);
            REFUSED = l.findVarHandle(AcceptCounters.class, "refused", long.class);
            OUT_OF_RESOURCES = l.findVarHandle(AcceptCounters.class, "outOfResources", long.class);
            CEILING_REACHED = l.findVarHandle(AcceptCounters.class, "ceilingReached", long.class);
            DATAGRAMS_DROPPED = l.findVarHandle(AcceptCounters.class, "datagramsDropped", long.class);
            PROXY_HEADER_REJECTED = l.findVarHandle(AcceptCounters.class, "proxyHeaderRejected", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long accepted;
    private long scheduled;
    private long refused;
    private long outOfResources;
    private long ceilingReached;
    private long datagramsDropped;
    private long proxyHeaderRejected;

    // ---- loop thread ----

    void accepted() {
        ACCEPTED.setRelease(this, accepted + 1);
    }

    void scheduled() {
        SCHEDULED.setRelease(this, scheduled + 1);
    }

    void refused() {
        REFUSED.setRelease(this, refused + 1);
    }

    void outOfResources() {
        OUT_OF_RESOURCES.setRelease(this, outOfResources + 1);
    }

    void ceilingReached() {
        CEILING_REACHED.setRelease(this, ceilingReached + 1);
    }

    void datagramDropped() {
        DATAGRAMS_DROPPED.setRelease(this, datagramsDropped + 1);
    }

    /** acceptproxy=yes: a client's PROXY header was malformed, absent or late (the client is also refused). */
    void proxyHeaderRejected() {
        PROXY_HEADER_REJECTED.setRelease(this, proxyHeaderRejected + 1);
    }

    // ---- any thread ----

    /** The counters now (each read is current; they are not one atomic snapshot). */
    LoopStats read(int loop) {
        return new LoopStats(loop, (long) ACCEPTED.getAcquire(this), (long) SCHEDULED.getAcquire(this),
                (long) REFUSED.getAcquire(this), (long) OUT_OF_RESOURCES.getAcquire(this),
                (long) CEILING_REACHED.getAcquire(this), (long) DATAGRAMS_DROPPED.getAcquire(this),
                (long) PROXY_HEADER_REJECTED.getAcquire(this));
    }
}
