package lbd.dataplane.nat;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one log line an operator gets when the NAT proxy runs short of file descriptors or memory: at most one per
 * {@link #INTERVAL_NANOS} for the whole process, however many loops and connections hit the limit, with the
 * error, the descriptor limit and use, and how many more failures there were since the last line. Shared by every
 * event loop; lock-free (one CAS decides which failure gets to log).
 */
final class ResourceAlarm {

    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Logger LOG = LoggerFactory.getLogger(ResourceAlarm.class);

    private final AtomicLong lastLoggedNanos = new AtomicLong(System.nanoTime() - INTERVAL_NANOS);
    private final AtomicLong unlogged = new AtomicLong();

    /**
     * Any loop thread: {@code cause} stopped {@code what} ("accept on VIP", "socket for a connection to REAL");
     * {@code shortage} is what it ran short of, or null for another failure of a listener. Logs it unless a line
     * went out within the interval.
     */
    void raise(ResourceShortage shortage, Throwable cause, String what) {
        long now = System.nanoTime();
        long last = lastLoggedNanos.get();
        if (now - last < INTERVAL_NANOS || !lastLoggedNanos.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return;
        }
        long more = unlogged.getAndSet(0);
        String error = shortage != null ? shortage + " (" + cause.getMessage() + ")" : cause.toString();
        LOG.warn("lbd: {} failed: {}{}; new connections wait in the kernel's accept queue and are taken again"
                + " every {} ms, open connections go on{}", what, error, limits(shortage),
                AcceptGate.PAUSE_MILLIS, more > 0 ? " (" + more + " more such failures since the last message)" : "");
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
