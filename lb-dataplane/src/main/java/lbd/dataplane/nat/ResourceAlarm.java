package lbd.dataplane.nat;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines an operator gets when the NAT proxy stops accepting for a while: it ran short of file descriptors
 * or memory, or reached its connection ceiling; and when bulk data is copied because every splice pipe is in use.
 * Each kind gets at most one line per {@link #INTERVAL_NANOS} for the whole process, however many loops and
 * connections hit it, with how many more times it happened since the last line. Shared by every event loop;
 * lock-free (one CAS decides which event gets to log).
 */
final class ResourceAlarm {

    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Logger LOG = LoggerFactory.getLogger(ResourceAlarm.class);

    private final LogThrottle shortages = new LogThrottle(INTERVAL_NANOS);
    private final LogThrottle ceiling = new LogThrottle(INTERVAL_NANOS);
    private final LogThrottle pipes = new LogThrottle(INTERVAL_NANOS);

    /**
     * Any loop thread: {@code cause} stopped {@code what} ("accept on VIP", "socket for a connection to REAL");
     * {@code shortage} is what it ran short of, or null for another failure of a listener. Logs it unless a line
     * went out within the interval.
     */
    void raise(ResourceShortage shortage, Throwable cause, String what) {
        long more = shortages.tryLog();
        if (more < 0) {
            return;
        }
        String error = describe(shortage, cause);
        LOG.warn("lbd: {} failed: {}{}; new connections wait in the kernel's accept queue and are taken again"
                + " every {} ms, open connections go on{}", what, error, limits(shortage),
                AcceptGate.PAUSE_MILLIS, since(more, "such failures"));
    }

    /** Any loop thread: a loop has {@code open} connections, its {@code share} of the ceiling. */
    void ceilingReached(int open, int share) {
        long more = ceiling.tryLog();
        if (more < 0) {
            return;
        }
        LOG.warn("lbd: an event loop has {} connections open, its share ({}) of the connection ceiling (maxconn):"
                + " new connections wait in the kernel's accept queue until one closes, open connections go on{}",
                open, share, since(more, "times"));
    }

    /**
     * Any loop thread: the socket for a new UDP flow could not be created ({@code what} names its real server);
     * its datagram was dropped. Shares the interval of {@link #raise}: both are the same shortage.
     */
    void flowSocketFailed(ResourceShortage shortage, Throwable cause, String what) {
        long more = shortages.tryLog();
        if (more < 0) {
            return;
        }
        String error = describe(shortage, cause);
        LOG.warn("lbd: {} failed: {}{}; datagrams from new clients are dropped until sockets are free again, open"
                + " flows go on{}", what, error, limits(shortage), since(more, "such failures"));
    }

    /**
     * The shortage and the system call's own words ("newSocketStream(..) failed with error(-24): Too many open
     * files"): the innermost cause's message, since a wrapping exception's message is its cause's class and text.
     */
    private static String describe(ResourceShortage shortage, Throwable cause) {
        if (shortage == null) {
            return cause.toString();
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return shortage + " (" + root.getMessage() + ")";
    }

    /** Any loop thread: a datagram from a new client was dropped, the loop holding its share of the ceiling. */
    void flowRefusedAtCeiling(int open, int share) {
        long more = ceiling.tryLog();
        if (more < 0) {
            return;
        }
        LOG.warn("lbd: an event loop has {} connections and UDP flows open, its share ({}) of the connection ceiling"
                + " (maxconn): datagrams from new UDP clients are dropped until one ends, open flows go on{}",
                open, share, since(more, "times"));
    }

    /** Any loop thread: a direction past the splice threshold found its loop's {@code held} pipes all in use. */
    void pipesExhausted(int held) {
        long more = pipes.tryLog();
        if (more < 0) {
            return;
        }
        LOG.info("lbd: an event loop's {} splice pipes are all in use (a quarter of the connection ceiling, and for"
                + " a user without CAP_SYS_RESOURCE no more than fs.pipe-user-pages-soft allows at full size): further"
                + " bulk data is copied through user space until a splicing connection closes{}", held,
                since(more, "times"));
    }

    static String since(long more, String what) {
        return more > 0 ? " (" + more + " more " + what + " since the last message)" : "";
    }

    /**
     * The open-files limit (getrlimit: no descriptor needed). Not the number open: counting them means listing
     * /proc/self/fd, which takes a descriptor — exactly what there is none of now.
     */
    private static String limits(ResourceShortage shortage) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (shortage == null || !shortage.descriptors()
                || !(os instanceof com.sun.management.UnixOperatingSystemMXBean unix)) {
            return "";
        }
        return "; the open-files limit is " + unix.getMaxFileDescriptorCount()
                + " (ulimit -n; LimitNOFILE= in the unit)";
    }
}
