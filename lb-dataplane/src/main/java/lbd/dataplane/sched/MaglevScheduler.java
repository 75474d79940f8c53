package lbd.dataplane.sched;

import java.util.List;
import lbd.config.model.MaglevTableSize;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS mh (ip_vs_mh.c): Maglev hashing. Each server, from its own address and port, gets a preferred order of
 * the M slots of a lookup table (an offset and a skip, both from the kernel's hsiphash); the servers take turns
 * claiming their next free preferred slot, each as many turns in a row as its share of the weights, until every
 * slot is taken. A client goes to the server of slot {@code hsiphash(fold(client address)) mod M}.
 *
 * <p>What makes it the scheduler for several directors behind one VIP: the table depends only on the servers
 * (address, port, weight, list order), so every director with the same configuration builds the same table and
 * sends a client to the same server without sharing any state; and removing a server moves only the clients of
 * its slots, plus a few more. Weights are IPVS's {@code last_weight} ({@link Destination#lastWeight}, kept by the
 * control plane so that every worker reads the same): quiescing a server (weight 0) changes no slot — its
 * clients get no server (as in IPVS without mh-fallback) and nobody else moves. An overloaded server is
 * unavailable the same way.
 *
 * <p>The kernel's constants: the hash keys, M = 4093 by default, or the service's {@code mhtablesize=}, one of
 * the kernel's other primes ({@link MaglevTableSize}), at most M servers. Confined to the worker thread; the table is built at a table
 * change (allocates), a pick is a hash and an array read.
 */
final class MaglevScheduler implements Scheduler {

    private static final long KEY1 = 2654435761L;
    private static final long KEY2 = 2654446892L;
    private static final int NONE = -1;

    private int size = MaglevTableSize.DEFAULT;
    private ServiceTable table;
    private int[] weights = Weights.NONE;
    private int[] lookup = filled(size);

    @Override
    public boolean hashesClient() {
        return true;
    }

    /** Without a client: as for the address 0. */
    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        return pick(table, counters, 0);
    }

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters, int clientFold) {
        if (table != this.table) {
            tableChanged(this.table, table);
        }
        int home = Integer.remainderUnsigned(KernelHashes.hsiphash(clientFold, KEY1), size);
        int d = lookup[home];
        if (d == NONE || usable(d, counters)) {
            return d;
        }
        if (!table.schedulerFlags().fallback()) {
            return NONE; // unavailable: no server (IPVS without mh-fallback)
        }
        // mh-fallback (ip_vs_mh_get_fallback): rehash with offsets home, home + 1, ... until a usable server.
        for (int offset = 0; offset < size; offset++) {
            int rehashed = (offset + home) % size;
            d = lookup[Integer.remainderUnsigned(KernelHashes.hsiphash(rehashed + clientFold, KEY1), size)];
            if (d == NONE) {
                return NONE;
            }
            if (usable(d, counters)) {
                return d;
            }
        }
        return NONE;
    }

    /** is_unavailable's opposite: weight > 0 and not overloaded. */
    private boolean usable(int d, DestinationCounters[] counters) {
        return weights[d] > 0 && !counters[d].overloaded();
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        table = next;
        weights = Weights.of(next);
        size = next.mhTableSize();
        lookup = build(next.destinations(), size);
    }

    /** The slots of the current table (tests). */
    int size() {
        return size;
    }

    /** As {@link #build(List, int, int)}, with the kernel's IP_VS_MH_TAB_BITS for that size. */
    static int[] build(List<Destination> list, int size) {
        return build(list, size, MaglevTableSize.configIndex(size) / 2);
    }

    /** The slot of every client fold: for tests (and the disruption property). */
    int slotOf(int clientFold) {
        return Integer.remainderUnsigned(KernelHashes.hsiphash(clientFold, KEY1), size);
    }

    /** The lookup table: each slot's destination index, or -1 (ip_vs_mh_permutate and ip_vs_mh_populate). */
    static int[] build(List<Destination> list, int size, int weightBits) {
        int[] lookup = filled(size);
        int n = list.size();
        if (n == 0 || n > size) {
            return lookup; // the kernel refuses more servers than slots; none: every lookup fails
        }
        int gcd = 0;
        int max = 0;
        int[] last = new int[n];
        for (int i = 0; i < n; i++) {
            last[i] = list.get(i).lastWeight();
            if (last[i] > 0) {
                gcd = gcd == 0 ? last[i] : gcd(gcd, last[i]);
                max = Math.max(max, last[i]);
            }
        }
        if (gcd < 1) {
            return lookup;
        }
        int shift = Math.max(0, (32 - Integer.numberOfLeadingZeros(max / gcd)) - weightBits);
        int[] perm = new int[n];
        int[] skip = new int[n];
        int[] turns = new int[n];
        for (int i = 0; i < n; i++) {
            Destination d = list.get(i);
            int v = d.address().port() + KernelHashes.fold(d.address().address().getAddress());
            perm[i] = Integer.remainderUnsigned(KernelHashes.hsiphash(v, KEY1), size);
            skip[i] = Integer.remainderUnsigned(KernelHashes.hsiphash(v, KEY2), size - 1) + 1;
            int t = (last[i] / gcd) >> shift;
            turns[i] = t != 0 ? t : (last[i] != 0 ? 1 : 0);
        }
        boolean[] taken = new boolean[size];
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                for (int turn = 0; turn < turns[i]; turn++) {
                    int c = perm[i];
                    while (taken[c]) {
                        c += skip[i];
                        if (c >= size) {
                            c -= size;
                        }
                    }
                    perm[i] = c;
                    taken[c] = true;
                    lookup[c] = i;
                    if (++filled == size) {
                        return lookup;
                    }
                }
            }
        }
    }

    private static int[] filled(int size) {
        int[] lookup = new int[size];
        java.util.Arrays.fill(lookup, NONE);
        return lookup;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
