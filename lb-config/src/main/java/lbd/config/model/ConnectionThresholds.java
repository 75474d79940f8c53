package lbd.config.model;

/**
 * A real server's connection thresholds, IPVS's {@code u_threshold} and {@code l_threshold} (ipvsadm {@code -x}
 * and {@code -y}; ldirectord's {@code u:N} and {@code l:N} on a {@code real=} line). 0 means unset.
 *
 * <p>The kernel's rule (ip_vs_conn.c ip_vs_bind_dest / ip_vs_unbind_dest, ip_vs_ctl.c __ip_vs_update_dest):
 * when a connection is bound and the server's connections (active + inactive) reach {@code upper}, it is
 * overloaded — the upper-th connection is still accepted, the next goes elsewhere; when a connection goes away
 * it returns below {@code lower}, or, with {@code lower} 0, below three quarters of {@code upper}. The kernel
 * refuses {@code lower > upper} (ERANGE), so a lower threshold needs an upper one at least as high.
 *
 * @param upper ipvsadm -x: 0 (none) or more
 * @param lower ipvsadm -y: 0 (three quarters of upper) up to upper
 */
public record ConnectionThresholds(int upper, int lower) {

    /** No thresholds: the server is never overloaded. */
    public static final ConnectionThresholds NONE = new ConnectionThresholds(0, 0);

    public ConnectionThresholds {
        if (upper < 0 || lower < 0) {
            throw new IllegalArgumentException("a connection threshold must be 0 or more: upper " + upper
                    + ", lower " + lower);
        }
        if (lower > upper) {
            throw new IllegalArgumentException(problem(upper, lower));
        }
    }

    /** Why IPVS refuses these thresholds, or null when it takes them. */
    public static String problem(int upper, int lower) {
        if (upper < 0 || lower < 0) {
            return "a connection threshold must be 0 or more";
        }
        if (lower > upper) {
            return upper == 0
                    ? "a lower threshold (" + lower + ") needs an upper threshold at least as high; IPVS refuses"
                            + " lower > upper (Numerical result out of range)"
                    : "the lower threshold (" + lower + ") is above the upper (" + upper + "); IPVS refuses"
                            + " lower > upper (Numerical result out of range)";
        }
        return null;
    }

    /** Whether any threshold is set. */
    public boolean isSet() {
        return upper != 0 || lower != 0;
    }
}
