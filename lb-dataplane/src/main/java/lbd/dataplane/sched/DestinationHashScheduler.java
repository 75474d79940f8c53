package lbd.dataplane.sched;

import java.util.List;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS dh (ip_vs_dh.c): destination hashing over 256 buckets dealt one per server in list order, weights
 * ignored; a connection goes to the server of bucket {@code hash_32(fold(destination address), 8)}, or to none
 * when that server has weight 0 or is overloaded. lbd's destination is the VIP itself, so every connection of a service goes to
 * one server (dh is meant for transparent cache farms, where destinations vary); the bucket is worked out once
 * per table. Confined to the worker thread.
 */
final class DestinationHashScheduler implements Scheduler {

    private ServiceTable table;
    private int chosen = -1;

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        if (table != this.table) {
            tableChanged(this.table, table);
        }
        return chosen >= 0 && table.destinations().get(chosen).weight() > 0 && !counters[chosen].overloaded()
                ? chosen : -1;
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        table = next;
        List<Destination> list = next.destinations();
        int bucket = KernelHashes.hash32(KernelHashes.fold(next.key().address().address().getAddress()),
                SourceHashScheduler.BITS);
        chosen = list.isEmpty() ? -1 : bucket % list.size(); // one bucket per server, round and round
    }
}
