package lbd.dataplane.counter;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import lbd.config.model.RealServerKey;

/**
 * One worker's counters for one real server. Written only by the owning worker thread (plain read, release
 * write: no lock, no CAS); read by the control plane with acquire reads and summed across workers.
 *
 * <p>ActiveConn counts connections in ESTABLISHED state, InActConn every other tracked state (connecting,
 * closing), as IPVS does. A connection holds its counters object directly, so a table swap never loses a
 * decrement.
 *
 * <p>They also carry IPVS's OVERLOAD flag for this worker's share of the server's connection thresholds
 * ({@link #limit}), kept by the kernel's rule: set when a connection is counted and active + inactive reach the
 * upper threshold (so the upper-th connection is still taken); cleared only when a connection goes away and the
 * count is below the lower threshold, or with none below three quarters of the upper; on an edit, cleared when
 * the upper threshold is removed or raised (ip_vs_bind_dest, ip_vs_unbind_dest, __ip_vs_update_dest). Every
 * scheduler skips a server whose flag is up; persistence does not (an existing template keeps its server).
 */
public final class DestinationCounters {

    private static final VarHandle ACTIVE;
    private static final VarHandle INACTIVE;
    private static final VarHandle CONNECTIONS;
    private static final VarHandle BYTES_IN;
    private static final VarHandle BYTES_OUT;
    private static final VarHandle PACKETS_IN;
    private static final VarHandle PACKETS_OUT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACTIVE = l.findVarHandle(DestinationCounters.class, "active", int.class);
            INACTIVE = l.findVarHandle(DestinationCounters.class, "inactive", int.class);
            CONNECTIONS = l.findVarHandle(DestinationCounters.class, "connections", long.class);
            BYTES_IN = l.findVarHandle(DestinationCounters.class, "bytesIn", long.class);
            BYTES_OUT = l.findVarHandle(DestinationCounters.class, "bytesOut", long.class);
            PACKETS_IN = l.findVarHandle(DestinationCounters.class, "packetsIn", long.class);
            PACKETS_OUT = l.findVarHandle(DestinationCounters.class, "packetsOut", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Whose counters these are: what a connection listing (lbadm -Lc) names as the destination. Null only in
    // tests and benchmarks that count without a table.
    private final RealServerKey server;
    private int active;
    private int inactive;
    private long connections;
    private long bytesIn;
    private long bytesOut;
    private long packetsIn;
    private long packetsOut;

    /** {@link #limit}'s upper share when the server has no upper threshold. */
    public static final int UNLIMITED = -1;

    // Owner thread only: this worker's share of the thresholds, and IPVS's OVERLOAD flag.
    private int upper = UNLIMITED;
    private int lower;
    private boolean overloaded;

    // Owner thread only: the least-connection scheduler following this server's counts, if any.
    private LoadWatcher watcher;
    private int watcherSlot;

    /** Counters of no particular real server (tests, benchmarks). */
    public DestinationCounters() {
        this(null);
    }

    public DestinationCounters(RealServerKey server) {
        this.server = server;
    }

    /** The real server counted here (any thread; immutable), null when none was given. */
    public RealServerKey server() {
        return server;
    }

    // ---- owner thread: writes ----

    /** A new connection was scheduled to this server; it is not established yet (InActConn). */
    public void connectionScheduled() {
        CONNECTIONS.setRelease(this, connections + 1);
        INACTIVE.setRelease(this, inactive + 1);
        if (upper != UNLIMITED && active + inactive >= upper) {
            overloaded = true; // ip_vs_bind_dest
        }
        loadChanged();
    }

    /** A scheduled connection reached ESTABLISHED: InActConn to ActiveConn. */
    public void connectionEstablished() {
        INACTIVE.setRelease(this, inactive - 1);
        ACTIVE.setRelease(this, active + 1);
        loadChanged();
    }

    /** An established connection started closing (FIN/RST seen): ActiveConn to InActConn. */
    public void connectionClosing() {
        ACTIVE.setRelease(this, active - 1);
        INACTIVE.setRelease(this, inactive + 1);
        loadChanged();
    }

    /** A connection that was not established (connecting or closing) is gone. */
    public void inactiveConnectionGone() {
        INACTIVE.setRelease(this, inactive - 1);
        connectionGone();
    }

    /** An established connection is gone without a closing phase (e.g. reset). */
    public void activeConnectionGone() {
        ACTIVE.setRelease(this, active - 1);
        connectionGone();
    }

    /** ip_vs_unbind_dest: the only moment an overloaded server may return. */
    private void connectionGone() {
        if (overloaded) {
            int total = active + inactive;
            if (lower != 0) {
                overloaded = total >= lower;
            } else if (upper != UNLIMITED) {
                overloaded = 4L * total >= 3L * upper;
            } else {
                overloaded = false;
            }
        }
        loadChanged();
    }

    // ---- owner thread: connection thresholds ----

    /**
     * This worker's share of the server's thresholds, from each table it installs: {@code upper} is
     * {@link #UNLIMITED} (no upper threshold) or the most connections this worker gives the server (0: none at
     * all — the server's upper threshold is smaller than the number of workers and this worker's share is empty);
     * {@code lower} is 0 (three quarters of upper) or the count below which it returns. As __ip_vs_update_dest,
     * removing or raising the upper threshold clears the flag and lowering it does not set it: the next
     * connection counted does.
     */
    public void limit(int upper, int lower) {
        boolean was = overloaded;
        if (upper == UNLIMITED || (this.upper != UNLIMITED && upper > this.upper)) {
            overloaded = false;
        }
        if (upper == 0) {
            overloaded = true; // an empty share: this worker never sends the server a connection
        }
        this.upper = upper;
        this.lower = lower;
        if (overloaded != was) {
            loadChanged();
        }
    }

    /** IPVS's OVERLOAD flag on this worker: no scheduler chooses the server for a new connection. */
    public boolean overloaded() {
        return overloaded;
    }

    private void loadChanged() {
        LoadWatcher w = watcher;
        if (w != null) {
            w.loadChanged(watcherSlot);
        }
    }

    // ---- owner thread: the scheduler following these counts ----

    /** Makes {@code w} hear of every change of these counts, as its destination number {@code slot}. */
    public void watchedBy(LoadWatcher w, int slot) {
        watcher = w;
        watcherSlot = slot;
    }

    /** Stops telling {@code w}, unless another watcher has taken over since. */
    public void unwatchedBy(LoadWatcher w) {
        if (watcher == w) {
            watcher = null;
        }
    }

    /** Client to server. */
    public void addIn(long bytes, long packets) {
        BYTES_IN.setRelease(this, bytesIn + bytes);
        PACKETS_IN.setRelease(this, packetsIn + packets);
    }

    /** Server to client. */
    public void addOut(long bytes, long packets) {
        BYTES_OUT.setRelease(this, bytesOut + bytes);
        PACKETS_OUT.setRelease(this, packetsOut + packets);
    }

    // ---- owner thread: plain reads for scheduling ----

    public int activeConnections() {
        return active;
    }

    public int inactiveConnections() {
        return inactive;
    }

    // ---- any thread: acquire reads for listings and metrics ----

    public int activeVolatile() {
        return (int) ACTIVE.getAcquire(this);
    }

    public int inactiveVolatile() {
        return (int) INACTIVE.getAcquire(this);
    }

    public long connectionsVolatile() {
        return (long) CONNECTIONS.getAcquire(this);
    }

    public long bytesInVolatile() {
        return (long) BYTES_IN.getAcquire(this);
    }

    public long bytesOutVolatile() {
        return (long) BYTES_OUT.getAcquire(this);
    }

    public long packetsInVolatile() {
        return (long) PACKETS_IN.getAcquire(this);
    }

    public long packetsOutVolatile() {
        return (long) PACKETS_OUT.getAcquire(this);
    }
}
