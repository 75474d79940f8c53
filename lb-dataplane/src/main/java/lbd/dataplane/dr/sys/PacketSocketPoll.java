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
    /** SO_ERROR's value and length, for reading a socket's pending error. */
    private final MemorySegment error = arena.allocate(ValueLayout.JAVA_INT);
    private final MemorySegment errorLength = arena.allocate(ValueLayout.JAVA_INT);
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

    /**
     * Waits until a frame is queued on any of the sockets or the timeout passes.
     *
     * <p>A socket can also be ready with an error and nothing to read: when its interface goes down, the kernel
     * leaves ENETDOWN on every packet socket bound to it, and receives for them again once the interface is up. A
     * socket read through its ring never reads that error, and poll(2) reports it at once on every call after, so an
     * idle worker spun on a whole CPU from the first time its interface went down until it next sent through that
     * socket (a send reads the error too; a worker's sockets on its other interfaces never send). Here the error is
     * read, which clears it.
     *
     * @return how many of the sockets are ready (0: the timeout passed)
     */
    public int await(int timeoutMillis) {
        int ready = LinuxNative.poll(errno, fds, count, timeoutMillis);
        for (int i = 0, seen = 0; seen < ready && i < count; i++) {
            short events = fds.get(ValueLayout.JAVA_SHORT, 8L * i + 6);
            if (events != 0) {
                seen++;
                if ((events & LinuxNative.POLLERR) != 0) {
                    errorLength.set(ValueLayout.JAVA_INT, 0, 4);
                    LinuxNative.getsockopt(errno, fds.get(ValueLayout.JAVA_INT, 8L * i), LinuxNative.SOL_SOCKET,
                            LinuxNative.SO_ERROR, error, errorLength);
                }
            }
        }
        return ready;
    }

    @Override
    public void close() {
        arena.close();
    }
}
