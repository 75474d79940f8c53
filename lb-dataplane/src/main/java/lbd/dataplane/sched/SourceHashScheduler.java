package lbd.dataplane.sched;

import java.util.List;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS sh (ip_vs_sh.c): source hashing over 256 buckets. The buckets are dealt to the servers in list order,
 * each taking as many in a row as its weight (a weight 0 server still one) and round again until all are dealt;
 * a client goes to the server of bucket {@code hash_32(fold(client address) [+ source port with sh-port], 8)}.
 * A server with weight 0, or overloaded, in its bucket means no server for that client, unless sh-fallback probes
 * on for a usable one as the kernel does. Any weight change deals the
 * buckets anew, as the kernel does on every add, edit and delete. Confined to the worker thread.
 */
final class SourceHashScheduler implements Scheduler {

    static final int BITS = 8; // CONFIG_IP_VS_SH_TAB_BITS
    static final int BUCKETS = 1 << BITS;
    private static final int NONE = -1;

    private ServiceTable table;
    private int[] weights = Weights.NONE;
    private final int[] buckets = new int[BUCKETS];

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
        int home = KernelHashes.hash32(clientFold, BITS);
        int d = buckets[home];
        if (d == NONE || usable(d, counters)) {
            return d;
        }
        if (!table.schedulerFlags().fallback()) {
            return NONE; // the client's server is unavailable: no server (IPVS without sh-fallback)
        }
        // sh-fallback (ip_vs_sh_get_fallback): probe bucket (offset + 2 * home) mod 256 for offset 0..255.
        for (int offset = 0; offset < BUCKETS; offset++) {
            d = buckets[(offset + 2 * home) & (BUCKETS - 1)];
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
        deal(next.destinations(), buckets);
    }

    /** ip_vs_sh_reassign: bucket i goes to the server the deal has reached. */
    static void deal(List<Destination> list, int[] buckets) {
        if (list.isEmpty()) {
            java.util.Arrays.fill(buckets, NONE);
            return;
        }
        int server = 0;
        int dealt = 0;
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = server;
            if (++dealt >= list.get(server).weight()) {
                server = (server + 1) % list.size();
                dealt = 0;
            }
        }
    }
}
