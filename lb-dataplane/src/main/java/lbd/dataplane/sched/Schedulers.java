package lbd.dataplane.sched;

import lbd.config.model.SchedulerKind;

/** Creates the per-worker scheduler for a scheduling algorithm. */
public final class Schedulers {

    private Schedulers() {
    }

    public static Scheduler create(SchedulerKind kind) {
        return switch (kind) {
            case RR -> new RoundRobin();
            default -> throw new IllegalArgumentException("scheduler " + kind.configName() + " is not supported yet");
        };
    }
}
