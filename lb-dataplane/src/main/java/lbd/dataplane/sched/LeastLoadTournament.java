package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.counter.LoadWatcher;
import lbd.dataplane.table.ServiceTable;

/**
 * The choice of IPVS lc, wlc, sed, nq, fo and ovf ({@link LoadRule}), kept current as counts change instead of
 * recomputed at each pick.
 *
 * <p>IPVS scans every server at each new connection (O(servers)): 1,000 servers cost microseconds per pick.
 * Here the servers are the leaves of a tournament tree; each inner node holds the better of its two children,
 * so the root is the choice, read in O(1). A change of one server's counts replays only the matches on its path
 * to the root (O(log servers)); the counters call {@link #loadChanged} as they change.
 *
 * <p>Exactly the kernel's choice: its scan keeps the first server and replaces it only by a strictly better
 * one, so it returns the first, in list order, of the best servers. A match here prefers the strictly better
 * side and, on a tie, the left one — whose servers all come earlier in the list — which yields the same server.
 * Weight 0 servers never play; a server the rule makes ineligible (ovf: more active connections than its
 * weight) or that is overloaded (IPVS's OVERLOAD flag, above its upper connection threshold) loses every match
 * until its counters change back, which replays its path.
 *
 * <p>Confined to the worker thread that owns the scheduler and the counters.
 */
final class LeastLoadTournament implements LoadWatcher {

    private static final int NONE = -1;

    private final LoadRule rule;
    private boolean retired;
    private ServiceTable table;
    private DestinationCounters[] counters;
    private int[] weights = Weights.NONE;
    private long[] overheads = new long[0];
    private int leaves = 1;
    /** Node k (1 = root, children 2k and 2k + 1; leaves from {@code leaves}) holds its winner, or -1. */
    private int[] winners = {NONE, NONE};

    LeastLoadTournament(LoadRule rule) {
        this.rule = rule;
    }

    /** The rule's choice among the servers with weight > 0, or -1. */
    int pick(ServiceTable table, DestinationCounters[] counters) {
        if (retired) {
            // A connection still holding a dropped slot (e.g. a connect retry) gets a correct answer without
            // taking the counters back from the scheduler that replaced this one.
            return scan(rule, Weights.of(table), counters);
        }
        if (table != this.table || counters != this.counters) {
            follow(table, counters);
        }
        int winner = winners[1];
        if (leaves == 1 && winner >= 0 && !eligible(winner)) {
            return NONE; // one server: node 1 is its leaf, which no match checked
        }
        return winner;
    }

    /** Replays {@code slot}'s matches up to the root with its new overhead. */
    @Override
    public void loadChanged(int slot) {
        overheads[slot] = rule.load(counters[slot]);
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

    /**
     * The kernel's scan: the first server that no later one strictly beats under {@code rule}, among those with
     * weight > 0 that are not overloaded.
     */
    static int scan(LoadRule rule, int[] weights, DestinationCounters[] counters) {
        int least = -1;
        long loh = 0;
        for (int i = 0; i < weights.length; i++) {
            long doh = rule.load(counters[i]);
            if (weights[i] == 0 || counters[i].overloaded() || !rule.eligible(doh, weights[i])) {
                continue;
            }
            if (least < 0 || rule.rightBetter(loh, weights[least], doh, weights[i])) {
                least = i;
                loh = doh;
            }
        }
        return least;
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
                overheads[i] = rule.load(nextCounters[i]);
                nextCounters[i].watchedBy(this, i);
            }
        }
        for (int node = leaves - 1; node > 0; node--) {
            winners[node] = match(winners[node << 1], winners[(node << 1) + 1]);
        }
    }

    /**
     * Whether a playing server may win: not overloaded (its counters call {@link #loadChanged} when the flag
     * moves, as with any count) and eligible under the rule.
     */
    private boolean eligible(int slot) {
        return !counters[slot].overloaded() && rule.eligible(overheads[slot], weights[slot]);
    }

    /** The better of two servers; {@code left} comes earlier in the list and wins ties. */
    private int match(int left, int right) {
        if (left >= 0 && !eligible(left)) {
            left = NONE;
        }
        if (right >= 0 && !eligible(right)) {
            right = NONE;
        }
        if (left < 0) {
            return right;
        }
        if (right < 0) {
            return left;
        }
        return rule.rightBetter(overheads[left], weights[left], overheads[right], weights[right]) ? right : left;
    }
}
