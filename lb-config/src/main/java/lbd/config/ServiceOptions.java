package lbd.config;

import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;

/**
 * The per-service values that ipvsadm's {@code -A}/{@code -E} also take ({@code -M netmask}, {@code -b flags}),
 * read by the same rules as their ldirectord.cf directives ({@code netmask=}, {@code schedflags=}), for lbadm.
 */
public final class ServiceOptions {

    private ServiceOptions() {
    }

    /** A persistence netmask: a contiguous dotted quad for IPv4, a prefix length for IPv6; as written. */
    public static String netmask(String value, boolean ipv6) {
        try {
            return ServiceBuilder.netmask(value, ipv6);
        } catch (BadValue e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Scheduler flags as ipvsadm's -b reads them (only sh and mh read any). */
    public static SchedulerFlags schedulerFlags(String value, SchedulerKind scheduler) {
        try {
            return ServiceBuilder.schedulerFlags(value, scheduler);
        } catch (BadValue e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
