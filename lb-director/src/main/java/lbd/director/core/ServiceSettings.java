package lbd.director.core;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;

/**
 * What ipvsadm's {@code -A} and {@code -E} say of a virtual service: its scheduler ({@code -s}), persistence
 * ({@code -p [timeout]}), persistence netmask ({@code -M}) and scheduler flags ({@code -b}). As in ipvsadm, an
 * {@code -E} states all of them: what it leaves out takes ipvsadm's default (wlc, not persistent, no flags).
 */
public record ServiceSettings(VirtualServiceKey key, SchedulerKind scheduler, OptionalInt persistence,
                              Optional<String> netmask, SchedulerFlags flags) {

    /** ipvsadm's default scheduler (DEF_SCHED). */
    public static final SchedulerKind DEFAULT_SCHEDULER = SchedulerKind.WLC;
    /** ipvsadm's timeout for a bare -p (IPVS_SVC_PERSISTENT_TIMEOUT). */
    public static final int DEFAULT_PERSISTENCE = 300;

    public ServiceSettings {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(netmask, "netmask");
        Objects.requireNonNull(flags, "flags");
    }
}
