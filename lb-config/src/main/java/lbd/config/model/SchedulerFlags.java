package lbd.config.model;

/**
 * IPVS's scheduler flags ({@code schedflags=}, ipvsadm {@code -b}): only sh and mh read them.
 *
 * @param fallback flag-1, sh-fallback / mh-fallback: when the client's server is unavailable (weight 0), take the
 *                 next usable one along the kernel's probe sequence instead of giving the client none
 * @param port     flag-2, sh-port / mh-port: hash the client's source port with its address, so that one client's
 *                 connections spread over the servers
 */
public record SchedulerFlags(boolean fallback, boolean port) {

    public static final SchedulerFlags NONE = new SchedulerFlags(false, false);

    public boolean any() {
        return fallback || port;
    }

    /**
     * The flags as ipvsadm lists them for {@code scheduler}: "sh-fallback,sh-port" for sh, "mh-..." for mh,
     * "flag-1,flag-2" for any other; empty when none is set.
     */
    public String listed(SchedulerKind scheduler) {
        String prefix = scheduler == SchedulerKind.SH || scheduler == SchedulerKind.MH ? scheduler.configName() : null;
        StringBuilder s = new StringBuilder();
        if (fallback) {
            s.append(prefix != null ? prefix + "-fallback" : "flag-1");
        }
        if (port) {
            s.append(s.isEmpty() ? "" : ",").append(prefix != null ? prefix + "-port" : "flag-2");
        }
        return s.toString();
    }
}
