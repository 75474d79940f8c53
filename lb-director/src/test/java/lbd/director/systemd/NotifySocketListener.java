package lbd.director.systemd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import lbd.sys.LinuxNative;

/**
 * What systemd does with {@code $NOTIFY_SOCKET}, for tests: a bound UNIX datagram socket that receives each
 * notification whole. A path address, or with {@code @} the abstract namespace, as systemd may use either.
 */
public final class NotifySocketListener implements AutoCloseable {

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final short POLLIN = 1;

    private final Arena arena = Arena.ofShared();
    private final int fd;
    private final String address;

    public NotifySocketListener(String address) {
        this.address = address;
        boolean abstractName = address.startsWith("@");
        byte[] name = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        MemorySegment sockaddr = arena.allocate(110);
        sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, sockaddr, ValueLayout.JAVA_BYTE, abstractName ? 3 : 2, name.length);
        MemorySegment errno = LinuxNative.newErrnoSegment(arena);
        fd = LinuxNative.socket(errno, AF_UNIX, SOCK_DGRAM, 0);
        if (fd < 0 || LinuxNative.bind(errno, fd, sockaddr, 2 + name.length + 1) != 0) {
            throw new IllegalStateException("cannot listen on " + address + ": "
                    + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
    }

    public String address() {
        return address;
    }

    /** The next notification, or empty when none comes within {@code wait}. */
    public Optional<String> next(Duration wait) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment pollfd = call.allocate(8);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            if (LinuxNative.poll(errno, pollfd, 1, (int) wait.toMillis()) <= 0) {
                return Optional.empty();
            }
            MemorySegment buf = call.allocate(4096);
            long n = LinuxNative.recv(errno, fd, buf, 4096, 0);
            if (n < 0) {
                return Optional.empty();
            }
            return Optional.of(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
        }
    }

    /** The next notification that contains {@code assignment} (e.g. "READY=1"), skipping others; bounded. */
    public Optional<String> awaitContaining(String assignment, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Optional<String> message = next(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            if (message.isPresent() && message.get().lines().anyMatch(assignment::equals)) {
                return message;
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        try (Arena call = Arena.ofConfined()) {
            LinuxNative.close(LinuxNative.newErrnoSegment(call), fd);
        }
        arena.close();
    }
}
