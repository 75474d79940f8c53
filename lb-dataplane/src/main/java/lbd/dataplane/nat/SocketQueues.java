package lbd.dataplane.nat;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many bytes wait in a socket's kernel queues: unread in its receive queue ({@code ioctl(fd, FIONREAD)}) and
 * not yet acknowledged by the peer in its send queue ({@code ioctl(fd, TIOCOUTQ)}), through the FFM API (Netty
 * exposes neither). The idle check needs the second: a slow peer draining what lbd already wrote is traffic. Splice needs this number: a splice chunk no longer than what the kernel already holds is
 * sure to complete, so its bytes can be counted exactly and a FIN behind it is never waited for.
 *
 * <p>One instance per event loop (its result cell is reused): confined to that loop's thread.
 */
final class SocketQueues {

    private static final Logger LOG = LoggerFactory.getLogger(SocketQueues.class);
    private static final MethodHandle IOCTL;
    private static final long FIONREAD;
    private static final long TIOCOUTQ;

    static {
        long request = fionread(System.getProperty("os.arch", "").toLowerCase(Locale.ROOT));
        MethodHandle ioctl = null;
        if (request != 0 && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                ioctl = linker.downcallHandle(linker.defaultLookup().find("ioctl").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                        Linker.Option.firstVariadicArg(2));
            } catch (RuntimeException | LinkageError e) {
                // e.g. native access denied (--enable-native-access missing under --illegal-native-access=deny)
                LOG.debug("lbd: ioctl(FIONREAD) is not reachable, so the NAT proxy will not splice: {}", e.toString());
                ioctl = null;
            }
        }
        IOCTL = ioctl;
        FIONREAD = request;
        TIOCOUTQ = tiocoutq(System.getProperty("os.arch", "").toLowerCase(Locale.ROOT));
    }

    private final MemorySegment result = Arena.ofAuto().allocate(JAVA_INT);

    /** FIONREAD's number on Linux for an architecture, or 0 when not known here. */
    private static long fionread(String arch) {
        return switch (arch) {
            case "amd64", "x86_64", "aarch64", "arm", "riscv64", "s390x", "loongarch64" -> 0x541BL;
            case "ppc64", "ppc64le" -> 0x4004667FL;
            default -> 0;
        };
    }

    /** TIOCOUTQ's (SIOCOUTQ's) number on Linux for an architecture, or 0 when not known here. */
    private static long tiocoutq(String arch) {
        return switch (arch) {
            case "amd64", "x86_64", "aarch64", "arm", "riscv64", "s390x", "loongarch64" -> 0x5411L;
            case "ppc64", "ppc64le" -> 0x40047473L;
            default -> 0;
        };
    }

    /** Whether {@link #queuedBytes} works on this machine. */
    static boolean available() {
        return IOCTL != null;
    }

    /** Bytes ready to be read from a socket, or -1 when the kernel does not say (closed descriptor, error). */
    int queuedBytes(int fd) {
        if (IOCTL == null) {
            return -1;
        }
        try {
            int rc = (int) IOCTL.invokeExact(fd, FIONREAD, result);
            return rc == 0 ? result.get(JAVA_INT, 0) : -1;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Bytes written to a socket that its peer has not acknowledged yet, or -1 when the kernel does not say. */
    int unsentBytes(int fd) {
        if (IOCTL == null || TIOCOUTQ == 0) {
            return -1;
        }
        try {
            int rc = (int) IOCTL.invokeExact(fd, TIOCOUTQ, result);
            return rc == 0 ? result.get(JAVA_INT, 0) : -1;
        } catch (Throwable e) {
            return -1;
        }
    }
}
