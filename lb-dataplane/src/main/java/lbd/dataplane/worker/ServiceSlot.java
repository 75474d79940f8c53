package lbd.dataplane.worker;

import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.sched.Scheduler;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/**
 * One worker's view of one virtual service: the current table, this worker's scheduler state and its
 * counters aligned with the table's destinations. Confined to the worker's thread.
 */
public final class ServiceSlot {

    private final Scheduler scheduler;
    private final Map<RealServerKey, DestinationCounters> countersByKey;
    private ServiceTable table;
    private DestinationCounters[] counters = new DestinationCounters[0];
    private DestinationCounters fallbackCounters;

    ServiceSlot(Scheduler scheduler, Map<RealServerKey, DestinationCounters> countersByKey) {
        this.scheduler = scheduler;
        this.countersByKey = countersByKey;
    }

    void install(ServiceTable next) {
        ServiceTable previous = table;
        DestinationCounters[] aligned = new DestinationCounters[next.destinations().size()];
        for (Destination d : next.destinations()) {
            aligned[d.index()] = countersByKey.computeIfAbsent(d.key(), k -> new DestinationCounters());
        }
        fallbackCounters = next.fallback()
                .map(f -> countersByKey.computeIfAbsent(f.key(), k -> new DestinationCounters()))
                .orElse(null);
        counters = aligned;
        table = next;
        scheduler.tableChanged(previous, next);
    }

    /** The worker dropped this slot: its scheduler stops following the counters, which outlive it. */
    void retire() {
        scheduler.retire();
    }

    public ServiceTable table() {
        return table;
    }

    /** Index of the destination for a new connection, or -1 when no destination has weight > 0. */
    public int pick() {
        return scheduler.pick(table, counters);
    }

    public Destination destination(int index) {
        return table.destinations().get(index);
    }

    public DestinationCounters counters(int index) {
        return counters[index];
    }

    /** Counters of the fallback server, or null when the table has none. */
    public DestinationCounters fallbackCounters() {
        return fallbackCounters;
    }
}
