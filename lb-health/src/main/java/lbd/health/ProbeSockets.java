package lbd.health;

import static lbd.sys.LinuxNative.AF_INET;
import static lbd.sys.LinuxNative.AF_INET6;
import static lbd.sys.LinuxNative.ECONNRESET;
import static lbd.sys.LinuxNative.EFD_CLOEXEC;
import static lbd.sys.LinuxNative.EFD_NONBLOCK;
import static lbd.sys.LinuxNative.EINTR;
import static lbd.sys.LinuxNative.EPOLLIN;
import static lbd.sys.LinuxNative.EPOLL_CLOEXEC;
import static lbd.sys.LinuxNative.EPOLL_CTL_ADD;
import static lbd.sys.LinuxNative.EPOLL_CTL_MOD;
import static lbd.sys.LinuxNative.EPOLL_EVENT_DATA;
import static lbd.sys.LinuxNative.EPOLL_EVENT_SIZE;
import static lbd.sys.LinuxNative.MSG_NOSIGNAL;
import static lbd.sys.LinuxNative.SOCK_CLOEXEC;
import static lbd.sys.LinuxNative.SOCK_NONBLOCK;
import static lbd.sys.LinuxNative.SOCK_STREAM;
import static lbd.sys.LinuxNative.SOL_SOCKET;
import static lbd.sys.LinuxNative.SO_ERROR;
import static lbd.sys.LinuxNative.SO_LINGER;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import lbd.sys.LinuxNative;

/**
 * The probe sockets of one {@link SocketCheckLoop} and the epoll set it waits on, as plain descriptors through
 * FFM: a check costs the system calls a C prober makes (socket, setsockopt, connect, epoll_ctl, getsockopt, close;
 * send and recv for HTTP) and no more — the JDK's SocketChannel adds fcntl, getsockname, a poll per connect and
 * locks (benchmarks/RESULTS.md, "Health checks at 10,000 real servers"). Calls return what the kernel does, with
 * -errno for a failure; nothing is allocated per call. Owned by the loop's thread, except {@link #wakeup()}.
 */
final class ProbeSockets implements AutoCloseable {

    /** Ready descriptors taken per epoll_wait; more wait for the next call. */
    static final int MAX_EVENTS = 256;
    /** Room for the request written and the response read in one call (larger ones take several). */
    static final int IO_BUFFER = 16 * 1024;
    private static final int SOCKADDR_IN_SIZE = 16;
    private static final int SOCKADDR_IN6_SIZE = 28;

    private final Arena arena = Arena.ofShared(); // made on the monitor's thread, used on the loop's
    private final MemorySegment errno = LinuxNative.newErrnoSegment(arena);
    private final MemorySegment events = arena.allocate((long) MAX_EVENTS * EPOLL_EVENT_SIZE, 8);
    private final MemorySegment event = arena.allocate(EPOLL_EVENT_SIZE, 8);
    /** struct linger {l_onoff = 1, l_linger = 0}: close resets, so no TIME_WAIT piles up. */
    private final MemorySegment lingerReset = arena.allocate(8, 4);
    private final MemorySegment optionValue = arena.allocate(4, 4);
    private final MemorySegment optionLength = arena.allocate(4, 4);
    private final MemorySegment address = arena.allocate(SOCKADDR_IN6_SIZE, 8);
    private final MemorySegment io = arena.allocate(IO_BUFFER, 8);
    private final ByteBuffer ioBuffer = io.asByteBuffer();
    private final int epollFd;
    private final int wakeFd;
    /** Guards the eventfd against a wake-up after close, which could write to a descriptor since reused. */
    private final Object wakeLock = new Object();
    private boolean closed;

    ProbeSockets() {
        lingerReset.set(ValueLayout.JAVA_INT, 0, 1);
        lingerReset.set(ValueLayout.JAVA_INT, 4, 0);
        epollFd = LinuxNative.epollCreate1(errno, EPOLL_CLOEXEC);
        if (epollFd < 0) {
            arena.close();
            throw failure("epoll_create1");
        }
        wakeFd = LinuxNative.eventfd(errno, 0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wakeFd < 0 || watch(wakeFd, EPOLLIN) != 0) {
            UncheckedIOException e = failure("eventfd");
            LinuxNative.close(errno, epollFd);
            arena.close();
            throw e;
        }
    }

    /**
     * The {@code struct sockaddr_in} or {@code sockaddr_in6} of {@code target}, in the host's byte order where the
     * kernel wants it: made once per checked server, copied for each connect. Null for an unresolved name.
     */
    static byte[] sockaddr(InetSocketAddress target) {
        if (target.isUnresolved()) {
            return null;
        }
        byte[] ip = target.getAddress().getAddress();
        boolean v4 = target.getAddress() instanceof Inet4Address;
        ByteBuffer b = ByteBuffer.allocate(v4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
        b.order(ByteOrder.nativeOrder()).putShort((short) (v4 ? AF_INET : AF_INET6));
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) target.getPort());
        if (v4) {
            b.put(ip);
        } else {
            b.putInt(0); // flow info
            b.put(ip);
            b.order(ByteOrder.nativeOrder()).putInt(((Inet6Address) target.getAddress()).getScopeId());
        }
        return b.array();
    }

    /** A non-blocking TCP socket for a server at {@code sockaddr}, closed with a reset: its fd, or -errno. */
    int open(byte[] sockaddr) {
        int family = sockaddr.length == SOCKADDR_IN_SIZE ? AF_INET : AF_INET6;
        int fd = LinuxNative.socket(errno, family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return -LinuxNative.errno(errno);
        }
        if (LinuxNative.setsockopt(errno, fd, SOL_SOCKET, SO_LINGER, lingerReset, 8) != 0) {
            int error = LinuxNative.errno(errno);
            LinuxNative.close(errno, fd);
            return -error;
        }
        return fd;
    }

    /** connect(2): 0 when connected at once, else the errno (EINPROGRESS while the handshake runs). */
    int connect(int fd, byte[] sockaddr) {
        MemorySegment.copy(sockaddr, 0, address, ValueLayout.JAVA_BYTE, 0, sockaddr.length);
        return LinuxNative.connect(errno, fd, address, sockaddr.length) == 0 ? 0 : LinuxNative.errno(errno);
    }

    /** Adds {@code fd} to the set, waiting for {@code events}: 0, or the errno. */
    int watch(int fd, int events) {
        return control(EPOLL_CTL_ADD, fd, events);
    }

    /** What {@code fd}, already in the set, waits for from now on: 0, or the errno. */
    int rewatch(int fd, int events) {
        return control(EPOLL_CTL_MOD, fd, events);
    }

    private int control(int op, int fd, int events) {
        event.set(ValueLayout.JAVA_INT_UNALIGNED, 0, events);
        event.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_EVENT_DATA, fd);
        return LinuxNative.epollCtl(errno, epollFd, op, fd, event) == 0 ? 0 : LinuxNative.errno(errno);
    }

    /** The outcome of a connect that was in progress (SO_ERROR): 0 when connected, else its errno. */
    int connectError(int fd) {
        optionLength.set(ValueLayout.JAVA_INT, 0, 4);
        if (LinuxNative.getsockopt(errno, fd, SOL_SOCKET, SO_ERROR, optionValue, optionLength) != 0) {
            return LinuxNative.errno(errno);
        }
        return optionValue.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * Sends what {@code src} has left (at most {@link #IO_BUFFER} bytes a call), without SIGPIPE: the bytes sent,
     * by which src advances, or -errno (-EAGAIN: the socket's buffer is full).
     */
    int send(int fd, ByteBuffer src) {
        int length = Math.min(src.remaining(), IO_BUFFER);
        ioBuffer.put(0, src, src.position(), length);
        long n = LinuxNative.sendto(errno, fd, io, length, MSG_NOSIGNAL);
        if (n < 0) {
            return -LinuxNative.errno(errno);
        }
        src.position(src.position() + (int) n);
        return (int) n;
    }

    /**
     * Receives into what {@code dst} (a heap buffer, as the loop's response buffers are) has room for (at most
     * {@link #IO_BUFFER} bytes a call): the bytes read, by which dst advances; 0 when the peer has closed; -errno
     * (-EAGAIN: nothing has arrived). Copied into dst's array: a buffer-to-buffer put made a segment slice per call.
     */
    int receive(int fd, ByteBuffer dst) {
        int room = Math.min(dst.remaining(), IO_BUFFER);
        long n = LinuxNative.recv(errno, fd, io, room, 0);
        if (n < 0) {
            return -LinuxNative.errno(errno);
        }
        MemorySegment.copy(io, ValueLayout.JAVA_BYTE, 0, dst.array(), dst.arrayOffset() + dst.position(), (int) n);
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    /** Closes a probe's socket (which also takes it out of the set). */
    void close(int fd) {
        LinuxNative.close(errno, fd);
    }

    /**
     * Waits until a socket is ready, {@link #wakeup()} is called, or {@code timeoutMillis} pass (-1: no limit,
     * 0: do not wait): the number of ready sockets, read with {@link #readyFd}. A wake-up
     * is consumed here and not counted.
     */
    int await(int timeoutMillis) {
        int n = LinuxNative.epollWait(errno, epollFd, events, MAX_EVENTS, timeoutMillis);
        if (n < 0) {
            int error = LinuxNative.errno(errno);
            if (error == EINTR) {
                return 0;
            }
            throw failure("epoll_wait", error);
        }
        int ready = 0;
        for (int i = 0; i < n; i++) {
            long offset = (long) i * EPOLL_EVENT_SIZE;
            if (events.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + EPOLL_EVENT_DATA) == wakeFd) {
                LinuxNative.read(errno, wakeFd, io.address(), 8); // back to zero; EAGAIN if raced: harmless
                continue;
            }
            if (ready != i) { // keep the ready sockets together at the front
                MemorySegment.copy(events, offset, events, (long) ready * EPOLL_EVENT_SIZE, EPOLL_EVENT_SIZE);
            }
            ready++;
        }
        return ready;
    }

    int readyFd(int i) {
        return (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * EPOLL_EVENT_SIZE + EPOLL_EVENT_DATA);
    }

    /** Ends the loop's current or next {@link #await} at once; any thread. */
    void wakeup() {
        synchronized (wakeLock) {
            if (closed) {
                return;
            }
            try (Arena call = Arena.ofConfined()) {
                MemorySegment one = call.allocateFrom(ValueLayout.JAVA_LONG, 1L);
                LinuxNative.write(LinuxNative.newErrnoSegment(call), wakeFd, one.address(), 8);
            }
        }
    }

    /** Closes the epoll set and the wake-up descriptor (the probes' sockets are the loop's to close first). */
    @Override
    public void close() {
        synchronized (wakeLock) {
            closed = true;
            LinuxNative.close(errno, wakeFd);
        }
        LinuxNative.close(errno, epollFd);
        arena.close();
    }

    /**
     * A probe's failed system call as the exception the JDK's sockets throw for it, so that a check's reason reads
     * as it always has: "Connection reset" for a reset while reading, else the C library's words for the errno.
     */
    static IOException exception(int error, boolean reading) {
        return reading && error == ECONNRESET ? new SocketException("Connection reset")
                : new IOException(LinuxNative.strerror(error));
    }

    private UncheckedIOException failure(String call) {
        return failure(call, LinuxNative.errno(errno));
    }

    private static UncheckedIOException failure(String call, int error) {
        return new UncheckedIOException(new IOException(
                "health checks cannot start: " + call + " failed: " + LinuxNative.strerror(error)));
    }

}
