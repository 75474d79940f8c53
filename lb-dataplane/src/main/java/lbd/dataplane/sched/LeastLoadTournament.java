package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.counter.LoadWatcher;
import lbd.dataplane.table.ServiceTable;

/**
 * The choice of IPVS lc and wlc, kept current as counts change instead of recomputed at each pick.
 *
 * <p>IPVS scans every server at each new connection (O(servers)): 1,000 servers cost microseconds per pick.
 * Here the servers are the leaves of a tournament tree; each inner node holds the better of its two children,
 * so the root is the choice, read in O(1). A change of one server's counts replays only the matches on its path
 * to the root (O(log servers)); the counters call {@link #loadChanged} as they change.
 *
 * <p>Exactly the kernel's choice: its scan keeps the first server and replaces it only by a strictly better
 * one, so it returns the first, in list order, of the servers with the least overhead (lc) or least
 * overhead / weight (wlc). A match here prefers the strictly better side and, on a tie, the left one — whose
 * servers all come earlier in the list — which yields the same server. Weight 0 servers never play.
 *
 * <p>Confined to the worker thread that owns the scheduler and the counters.
 */
final class LeastLoadTournament implements LoadWatcher {

    private static final int NONE = -1;

    private final boolean weighted;
    private boolean retired;
    private ServiceTable table;
    private DestinationCounters[] counters;
    private int[] weights = Weights.NONE;
    private long[] overheads = new long[0];
    private int leaves = 1;
    /** Node k (1 = root, children 2k and 2k + 1; leaves from {@code leaves}) holds its winner, or -1. */
    private int[] winners = {NONE, NONE};

    /** @param weighted wlc (compare overhead / weight) rather than lc (compare overhead) */
    LeastLoadTournament(boolean weighted) {
        this.weighted = weighted;
    }

    /** The server with the least (weighted) overhead among those with weight > 0, or -1. */
    int pick(ServiceTable table, DestinationCounters[] counters) {
        if (retired) {
            // A connection still holding a dropped slot (e.g. a connect retry) gets a correct answer without
            // taking the counters back from the scheduler that replaced this one.
            return scan(weighted, Weights.of(table), counters);
        }
        if (table != this.table || counters != this.counters) {
            follow(table, counters);
        }
        return winners[1];
    }

    /** Replays {@code slot}'s matches up to the root with its new overhead. */
    @Override
    public void loadChanged(int slot) {
        overheads[slot] = overhead(counters[slot]);
        final int[] w = winners;
        for (int node = (leaves + slot) >>> 1; node > 0; node >>>= 1) {
            int winner = match(w[node << 1], w[(node << 1) + 1]);
            if (winner == w[node] && winner != slot) {
                return; // same winner, and not the server that changed: nothing above this node moves
            }
            w[node] = winner;
        }
    }

    /** Stops following the counters for good: the scheduler was dropped. */
    void retire() {
        release();
        retired = true;
    }

    private void release() {
        if (counters != null) {
            for (DestinationCounters c : counters) {
                c.unwatchedBy(this);
            }
        }
        counters = null;
        table = null;
    }

    /** The kernel's scan (ip_vs_lc.c, ip_vs_wlc.c): the first server with the least (weighted) overhead. */
    static int scan(boolean weighted, int[] weights, DestinationCounters[] counters) {
        int least = -1;
        long loh = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] == 0) {
                continue;
            }
            long doh = overhead(counters[i]);
            if (least < 0 || (weighted ? loh * weights[i] > doh * weights[least] : doh < loh)) {
                least = i;
                loh = doh;
            }
        }
        return least;
    }

    /** ip_vs_dest_conn_overhead: an active connection is thought to cost 256 times an inactive one. */
    static long overhead(DestinationCounters c) {
        return ((long) c.activeConnections() << 8) + c.inactiveConnections();
    }

    private void follow(ServiceTable nextTable, DestinationCounters[] nextCounters) {
        release();
        table = nextTable;
        counters = nextCounters;
        weights = Weights.of(nextTable);
        int n = weights.length;
        int size = 1;
        while (size < n) {
            size <<= 1;
        }
        leaves = size; // with one leaf, node 1 is both the leaf and the root
        overheads = new long[n];
        winners = new int[2 * leaves];
        for (int i = 0; i < leaves; i++) {
            boolean plays = i < n && weights[i] > 0;
            winners[leaves + i] = plays ? i : NONE;
            if (i < n) {
                overheads[i] = overhead(nextCounters[i]);
                nextCounters[i].watchedBy(this, i);
            }
        }
        for (int node = leaves - 1; node > 0; node--) {
            winners[node] = match(winners[node << 1], winners[(node << 1) + 1]);
        }
    }

    /** The better of two servers; {@code left} comes earlier in the list and wins ties. */
    private int match(int left, int right) {
        if (left < 0) {
            return right;
        }
        if (right < 0) {
            return left;
        }
        long lo = overheads[left];
        long ro = overheads[right];
        if (weighted) {
            // overhead(right) / w(right) < overhead(left) / w(left), without division (ip_vs_wlc.c)
            return lo * weights[right] > ro * weights[left] ? right : left;
        }
        return ro < lo ? right : left;
    }
}
