package lbd.director.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;

/**
 * Changes an operator made at run time with lbadm (weights, schedulers). They hold until the next reload,
 * as ipvsadm edits held until ldirectord next rewrote the table. Control-plane thread only.
 */
final class RuntimeEdits {

    private final Map<RealServerKey, Integer> weights = new HashMap<>();
    private final Map<VirtualServiceKey, SchedulerKind> schedulers = new HashMap<>();

    Optional<Integer> weight(RealServerKey key) {
        return Optional.ofNullable(weights.get(key));
    }

    void setWeight(RealServerKey key, int weight) {
        weights.put(key, weight);
    }

    Optional<SchedulerKind> scheduler(VirtualServiceKey key) {
        return Optional.ofNullable(schedulers.get(key));
    }

    void setScheduler(VirtualServiceKey key, SchedulerKind kind) {
        schedulers.put(key, kind);
    }

    void clear() {
        weights.clear();
        schedulers.clear();
    }
}
