package lbd.dataplane.nat;

import io.netty.channel.unix.Errors;
import io.netty.util.NetUtil;
import java.io.BufferedReader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import lbd.config.model.Endpoint;
import lbd.config.model.VirtualServiceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines an operator gets when lbd cannot connect to a real server from the source it wanted — not the real
 * server's fault, so worth a warning rather than a debug line: no local port is free towards that real server from
 * that address (EADDRNOTAVAIL; the kernel's ip_local_port_range is used up for that destination, TIME_WAIT
 * included), or the socket could not be made transparent. At most one line per kind per interval for the whole
 * process, with how many more since the last one. Shared by every event loop; lock-free.
 */
final class SourceAlarm {

    private static final Logger LOG = LoggerFactory.getLogger(SourceAlarm.class);
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;

    private final LogThrottle noFreePortLines = new LogThrottle(ResourceAlarm.INTERVAL_NANOS);
    private final LogThrottle optionFailedLines = new LogThrottle(ResourceAlarm.INTERVAL_NANOS);

    /**
     * Whether {@code failure} (of a connect, or of the bind before it) says that no local port was free for the
     * four-tuple or the address: EADDRNOTAVAIL at connect (epoll, io_uring: the errno; NIO: the C library's words),
     * or EADDRINUSE at bind(ADDR:0) (NIO, which binds without IP_BIND_ADDRESS_NO_PORT).
     */
    static boolean portsExhausted(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            int errno = errno(t);
            if (errno == EADDRNOTAVAIL || errno == EADDRINUSE) {
                return true;
            }
            String message = t.getMessage();
            if (message != null) {
                String lower = message.toLowerCase(Locale.ROOT);
                if (lower.contains("cannot assign requested address") || lower.contains("address already in use")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The errno Netty's native transports keep (a failed connect's exception keeps it hidden: its words say it). */
    private static int errno(Throwable t) {
        if (t instanceof Errors.NativeIoException n) {
            return -n.expectedErr();
        }
        return 0;
    }

    /**
     * Any loop thread: a connect of {@code service} to {@code destination} from {@code source} (null: the address
     * the kernel chose) found no free port; {@code next} is the source tried next (null: none).
     */
    void noFreePort(VirtualServiceKey service, InetAddress source, Endpoint destination, InetAddress next,
            boolean transparent) {
        long more = noFreePortLines.tryLog();
        if (more < 0) {
            return;
        }
        String from = source == null ? "the director's address" : NetUtil.toAddressString(source);
        String then = next != null ? "trying source address " + NetUtil.toAddressString(next) + " instead"
                : transparent ? "the connection fails over as if the real server had refused it"
                : "the connection fails over as if the real server had refused it; give the service more source"
                        + " addresses with sourceaddress= or widen net.ipv4.ip_local_port_range";
        LOG.warn("lbd: {}: no local port free to connect from {} to real server {} (every port of"
                + " net.ipv4.ip_local_port_range, {}, is in use towards it, TIME_WAIT included, or the address is"
                + " not this host's): {}{}", service, from, destination, localPortRange(), then,
                ResourceAlarm.since(more, "such connects"));
    }

    /** Any loop thread: a socket to {@code destination} could not be given its source options ({@code why}). */
    void optionFailed(VirtualServiceKey service, Endpoint destination, String why) {
        long more = optionFailedLines.tryLog();
        if (more < 0) {
            return;
        }
        LOG.warn("lbd: {}: cannot connect to real server {} from the chosen source address: {}{}", service,
                destination, why, ResourceAlarm.since(more, "such connects"));
    }

    /**
     * The kernel's ephemeral port range as "LOW-HIGH", read when a line is logged (rare). Line by line, as
     * lb-director's ProcValue reads sysctls: Files.readString returns only the first byte of this file.
     */
    private static String localPortRange() {
        try (BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            String line = in.readLine();
            return line == null ? "unknown" : line.strip().replaceAll("\\s+", "-");
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
