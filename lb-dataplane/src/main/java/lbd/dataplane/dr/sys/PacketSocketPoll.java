package lbd.dataplane.dr.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import lbd.sys.LinuxNative;

/**
 * Waits on several packet sockets at once (one poll(2) over all of them): a DR worker receives on one socket per
 * interface and sleeps only when every one of them is empty. Owned by one thread; allocates nothing per wait.
 */
public final class PacketSocketPoll implements AutoCloseable {

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment errno = LinuxNative.newErrnoSegment(arena);
    private final MemorySegment fds;
    private final int count;

    public PacketSocketPoll(PacketSocket... sockets) {
        this(sockets, new int[0]);
    }

    /** The sockets and other descriptors that become readable with a frame (AF_XDP sockets). */
    public PacketSocketPoll(PacketSocket[] sockets, int[] others) {
        count = sockets.length + others.length;
        fds = arena.allocate(8L * Math.max(1, count), 4); // struct pollfd: fd, events, revents
        for (int i = 0; i < count; i++) {
            fds.set(ValueLayout.JAVA_INT, 8L * i, i < sockets.length ? sockets[i].fd() : others[i - sockets.length]);
            fds.set(ValueLayout.JAVA_SHORT, 8L * i + 4, LinuxNative.POLLIN);
        }
    }

    /** Waits until a frame is queued on any of the sockets or the timeout passes. */
    public void await(int timeoutMillis) {
        LinuxNative.poll(errno, fds, count, timeoutMillis);
    }

    @Override
    public void close() {
        arena.close();
    }
}
