package lbd.dataplane.worker;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.CounterSource;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.sched.Schedulers;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;

/**
 * Everything one data-plane worker (an event loop, or a DR packet worker) owns: a slot per virtual service
 * and counters per real server. Only the owning thread calls {@link #service}; the control plane reads
 * counters through {@link #forEachCounters}, which only performs acquire reads of counter fields.
 *
 * <p>On each lookup the worker does one volatile read of the published snapshot; when its version moved,
 * the slots are re-aligned to the new tables, keeping scheduler state and counters by real-server key.
 */
public final class WorkerState implements CounterSource {

    private final SnapshotPublisher publisher;
    private final int workerId;
    private final int workerCount;
    private final Map<VirtualServiceKey, ServiceSlot> slots = new HashMap<>();
    // Counters outlive table swaps: a real server removed from a table keeps its counters until reused.
    // Published through a copy-on-write map so that the control plane can iterate safely.
    private volatile Map<RealServerKey, DestinationCounters> countersView = Map.of();
    private final Map<RealServerKey, DestinationCounters> counters = new HashMap<>();
    private long seenVersion = -1;
    private long installs;

    /** A worker that applies the whole limits, as the only one of its kind would (tests, benchmarks). */
    public WorkerState(SnapshotPublisher publisher, int workerId) {
        this(publisher, workerId, 1);
    }

    /**
     * Worker {@code workerId} (0-based) of {@code workerCount} of its kind (NAT event loops, or DR workers): it
     * applies its {@link WorkerShare} of each real server's connection thresholds.
     */
    public WorkerState(SnapshotPublisher publisher, int workerId, int workerCount) {
        if (workerCount < 1 || workerId < 0) {
            throw new IllegalArgumentException("worker " + workerId + " of " + workerCount);
        }
        this.publisher = publisher;
        this.workerId = workerId;
        this.workerCount = workerCount;
    }

    public int workerId() {
        return workerId;
    }

    /**
     * The slot for a virtual service, refreshed to the latest snapshot; null when the service does not exist.
     * {@code key} may be one of a service's alsolisten= VIP:ports: the service's one slot (scheduler, counters,
     * persistence) answers for all of them.
     */
    public ServiceSlot service(VirtualServiceKey key) {
        DataPlaneSnapshot snapshot = publisher.current();
        if (snapshot.version() != seenVersion) {
            refresh(snapshot);
        }
        ServiceSlot slot = slots.get(key);
        if (slot == null) {
            ServiceTable table = snapshot.service(key);
            slot = table == null ? null : slots.get(table.key());
        }
        return slot;
    }

    private void refresh(DataPlaneSnapshot snapshot) {
        int before = counters.size();
        if (snapshot.isDeltaFrom(seenVersion)) {
            for (VirtualServiceKey key : snapshot.changed()) {
                ServiceTable table = snapshot.service(key);
                align(table == null ? key : table.key(), table);
            }
        } else {
            slots.entrySet().removeIf(entry -> {
                boolean gone = !snapshot.services().containsKey(entry.getKey());
                if (gone) {
                    entry.getValue().retire();
                }
                return gone;
            });
            for (ServiceTable table : snapshot.services().values()) {
                align(table.key(), table);
            }
        }
        if (counters.size() != before) {
            countersView = Map.copyOf(counters);
        }
        seenVersion = snapshot.version();
    }

    /** Brings one service's slot to {@code table} (null: the service is gone); an unchanged instance costs nothing. */
    private void align(VirtualServiceKey key, ServiceTable table) {
        ServiceSlot slot = slots.get(key);
        if (table == null) {
            if (slot != null) {
                slots.remove(key).retire();
            }
            return;
        }
        if (slot == null || slot.table().scheduler() != table.scheduler()) {
            if (slot != null) {
                slot.retire();
            }
            slot = new ServiceSlot(Schedulers.create(table.scheduler()), counters, workerId % workerCount, workerCount);
            slots.put(key, slot);
        }
        if (slot.table() != table) {
            slot.install(table);
            installs++;
        }
    }

    /** How many times this worker installed a table into a slot (owner thread; for tests and benchmarks). */
    public long installs() {
        return installs;
    }

    /** Any thread: visits this worker's counters. Readers must only use the counters' acquire reads. */
    @Override
    public void forEachCounters(BiConsumer<RealServerKey, DestinationCounters> visitor) {
        countersView.forEach(visitor);
    }
}
