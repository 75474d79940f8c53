package lbd.director.unix;

import static lbd.sys.LinuxNative.SOCK_CLOEXEC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import lbd.sys.LinuxNative;

/**
 * A datagram socket that sends to one UNIX-domain address — the local syslog daemon's {@code /dev/log}
 * (rsyslog, syslog-ng, journald), systemd's {@code $NOTIFY_SOCKET} — through FFM, because the JDK's
 * UNIX-domain channels are stream-only. Sends with {@code sendto} each time, so that a restarted daemon (a new
 * socket file) is picked up without reconnecting. An address starting with {@code @} is in Linux's abstract
 * namespace (a leading NUL byte, no file), as systemd writes such addresses in {@code $NOTIFY_SOCKET}.
 * Sends are thread-safe; closing is not, with a send under way.
 */
public final class UnixDatagramSocket implements AutoCloseable {

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SUN_PATH = 108;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int SO_SNDTIMEO = 21;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment address;
    private final int addressLength;
    private final int fd;
    private final boolean waits;

    /** @throws IllegalArgumentException an address that does not fit {@code sun_path} */
    public UnixDatagramSocket(String path) {
        this(path, Duration.ZERO);
    }

    /**
     * {@code waitBound}: how long {@link #sendWaiting} waits for room in the receiver's queue (a datagram socket's
     * queue holds {@code net.unix.max_dgram_qlen} datagrams, 10 by default, whatever their size).
     *
     * @throws IllegalArgumentException an address that does not fit {@code sun_path}
     */
    public UnixDatagramSocket(String path, Duration waitBound) {
        boolean abstractName = path.startsWith("@");
        byte[] name = (abstractName ? path.substring(1) : path).getBytes(StandardCharsets.UTF_8);
        if (name.length + 1 > SUN_PATH) {
            throw new IllegalArgumentException("UNIX socket address too long: " + path);
        }
        address = arena.allocate(2 + SUN_PATH);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        // The abstract namespace: sun_path[0] is NUL and the name's length alone delimits it (no trailing NUL).
        MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, abstractName ? 3 : 2, name.length);
        addressLength = 2 + name.length + 1;
        fd = LinuxNative.socket(LinuxNative.newErrnoSegment(arena), AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            arena.close();
            throw new IllegalStateException("cannot open a UNIX datagram socket for " + path);
        }
        if (waitBound.isPositive()) {
            MemorySegment timeval = arena.allocate(16); // struct timeval: tv_sec, tv_usec
            timeval.set(ValueLayout.JAVA_LONG, 0, waitBound.toSeconds());
            timeval.set(ValueLayout.JAVA_LONG, 8, waitBound.toNanosPart() / 1000);
            // Without the bound a blocking send would wait for as long as the receiver does not read: should
            // setting it fail, sendWaiting does not wait at all.
            waits = LinuxNative.setsockopt(LinuxNative.newErrnoSegment(arena), fd, LinuxNative.SOL_SOCKET,
                    SO_SNDTIMEO, timeval, 16) == 0;
        } else {
            waits = false;
        }
    }

    /** Sends one datagram without blocking; false when the receiver did not take it (not there, queue full). */
    public boolean send(byte[] message) {
        return send(message, MSG_DONTWAIT);
    }

    /**
     * Sends one datagram, waiting up to the bound given at open while the receiver's queue is full; false when the
     * receiver is not there or did not make room in time. Without a bound, the same as {@link #send}.
     */
    public boolean sendWaiting(byte[] message) {
        return send(message, waits ? 0 : MSG_DONTWAIT);
    }

    private boolean send(byte[] message, int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(Math.max(1, message.length));
            MemorySegment.copy(message, 0, buf, ValueLayout.JAVA_BYTE, 0, message.length);
            long sent = LinuxNative.sendto(LinuxNative.newErrnoSegment(call), fd, buf, message.length, flags,
                    address, addressLength);
            return sent == message.length;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try (Arena call = Arena.ofConfined()) {
            LinuxNative.close(LinuxNative.newErrnoSegment(call), fd);
        }
        arena.close();
    }
}
