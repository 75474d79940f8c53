package lbd.director.logging;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import lbd.dataplane.dr.sys.LinuxNative;

/**
 * A datagram socket to the local syslog daemon ({@code /dev/log}: rsyslog, syslog-ng, journald), through FFM
 * because the JDK's UNIX-domain channels are stream-only and /dev/log is a datagram socket. Sends with
 * {@code sendto} each time, so that a restarted syslog daemon (a new socket file) is picked up without
 * reconnecting. Used from the logging thread only.
 */
final class DevLogSocket implements AutoCloseable {

    static final Path DEFAULT = Path.of("/dev/log");
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SUN_PATH = 108;
    private static final int MSG_DONTWAIT = 0x40;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment address;
    private final int addressLength;
    private final int fd;

    DevLogSocket(Path path) {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH) {
            throw new IllegalArgumentException("syslog socket path too long: " + path);
        }
        address = arena.allocate(2 + SUN_PATH);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
        addressLength = 2 + name.length + 1;
        fd = LinuxNative.socket(LinuxNative.newErrnoSegment(arena), AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            arena.close();
            throw new IllegalStateException("cannot open a datagram socket for syslog");
        }
    }

    /** Sends one message; false when the syslog daemon did not take it (not running, queue full). */
    boolean send(byte[] message) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(message.length);
            MemorySegment.copy(message, 0, buf, ValueLayout.JAVA_BYTE, 0, message.length);
            long sent = LinuxNative.sendto(LinuxNative.newErrnoSegment(call), fd, buf, message.length, MSG_DONTWAIT,
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
