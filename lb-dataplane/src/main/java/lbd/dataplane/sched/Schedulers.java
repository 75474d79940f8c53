package lbd.dataplane.sched;

import lbd.config.model.SchedulerKind;

/** Creates the per-worker scheduler for a scheduling algorithm. */
public final class Schedulers {

    private Schedulers() {
    }

    /** A fresh scheduler, as IPVS binds one (init_service) when a service is created or its scheduler edited. */
    public static Scheduler create(SchedulerKind kind) {
        return switch (kind) {
            case RR -> new RoundRobin();
            case WRR -> new WeightedRoundRobin();
            case LC, WLC, SED, NQ, FO, OVF -> new LeastLoadScheduler(LoadRule.of(kind));
            default -> throw new IllegalArgumentException(kind.notSupported());
        };
    }
}
