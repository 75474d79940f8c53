package lbd.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls and Linux constants lbd needs, bound once through FFM (no JNI library): the DR data path's
 * packet sockets, the health checks' probe sockets and their epoll set, and the director's netlink (HA
 * addresses), /dev/log and hand-over (lbd upgrade) sockets — one set of bindings.
 * Every call takes a per-thread errno capture segment first ({@link #newErrnoSegment}); callers own theirs,
 * so a call allocates nothing.
 */
@SuppressWarnings("restricted") // binding native code is this class's whole purpose
public final class LinuxNative {

    public static final int AF_PACKET = 17;
    public static final int SOCK_RAW = 3;
    public static final int ETH_P_ALL = 0x0003;
    public static final int SOL_SOCKET = 1;
    public static final int SO_ATTACH_FILTER = 26;
    public static final int SOL_PACKET = 263;
    public static final int PACKET_FANOUT = 18;
    public static final int PACKET_ADD_MEMBERSHIP = 1;
    public static final int PACKET_MR_ALLMULTI = 2;
    public static final int PACKET_IGNORE_OUTGOING = 23;
    public static final int PACKET_FANOUT_HASH = 0;
    public static final int PACKET_VNET_HDR = 15;
    public static final int VIRTIO_NET_HDR_SIZE = 10;
    public static final int PACKET_RX_RING = 5;
    public static final int PACKET_VERSION = 10;
    public static final int TPACKET_V3 = 2;
    public static final int TP_STATUS_KERNEL = 0;
    public static final int TP_STATUS_USER = 1;
    public static final int PROT_READ_WRITE = 0x3;
    public static final int MAP_SHARED = 0x1;
    public static final int MSG_DONTWAIT = 0x40;
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int ENETDOWN = 100;
    public static final int SOCKADDR_LL_SIZE = 20;
    public static final int O_RDWR = 0x2;
    public static final int O_CLOEXEC = 0x80000;
    public static final long TUNSETIFF = 0x400454caL;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_VNET_HDR = 0x4000;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SO_ERROR = 4;
    public static final int SO_LINGER = 13;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int EINPROGRESS = 115;
    public static final int ECONNRESET = 104;
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x1;
    public static final int EPOLLOUT = 0x4;
    public static final int EPOLLERR = 0x8;
    public static final int EPOLLHUP = 0x10;
    /** struct epoll_event: packed (12 bytes) on x86-64, naturally aligned (16) elsewhere. */
    public static final int EPOLL_EVENT_SIZE = "amd64".equals(System.getProperty("os.arch")) ? 12 : 16;
    /** Offset of epoll_event.data in the struct. */
    public static final int EPOLL_EVENT_DATA = EPOLL_EVENT_SIZE == 12 ? 4 : 8;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS;

    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(INT, INT, ADDR, INT));
    private static final MethodHandle SETSOCKOPT =
            bind("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDR, INT));
    private static final MethodHandle SENDTO =
            bind("sendto", FunctionDescriptor.of(LONG, INT, ADDR, LONG, INT, ADDR, INT));
    private static final MethodHandle RECVMSG = bind("recvmsg", FunctionDescriptor.of(LONG, INT, ADDR, INT));
    private static final MethodHandle SENDMSG = bind("sendmsg", FunctionDescriptor.of(LONG, INT, ADDR, INT));
    private static final MethodHandle LISTEN = bind("listen", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle ACCEPT4 = bind("accept4", FunctionDescriptor.of(INT, INT, ADDR, ADDR, INT));
    private static final MethodHandle CONNECT = bind("connect", FunctionDescriptor.of(INT, INT, ADDR, INT));
    private static final MethodHandle GETSOCKOPT =
            bind("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDR, ADDR));
    private static final MethodHandle DUP2 = bind("dup2", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle DUP = bind("dup", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle RECV = bind("recv", FunctionDescriptor.of(LONG, INT, ADDR, LONG, INT));
    private static final MethodHandle SENDMMSG = bind("sendmmsg", FunctionDescriptor.of(INT, INT, ADDR, INT, INT));
    private static final MethodHandle MMAP =
            bind("mmap", FunctionDescriptor.of(ADDR, ADDR, LONG, INT, INT, INT, LONG));
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(INT, ADDR, LONG));
    private static final MethodHandle POLL = bind("poll", FunctionDescriptor.of(INT, ADDR, LONG, INT));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(INT, ADDR, INT));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("ioctl"),
            FunctionDescriptor.of(INT, INT, LONG, ADDR), Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));
    // write(2) from a native address given as a number: the DR workers write from inside a frame buffer
    // without making a segment object per packet.
    private static final MethodHandle WRITE = bind("write", FunctionDescriptor.of(LONG, INT, LONG, LONG));
    private static final MethodHandle READ = bind("read", FunctionDescriptor.of(LONG, INT, LONG, LONG));
    private static final MethodHandle EPOLL_CREATE1 = bind("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle EPOLL_CTL = bind("epoll_ctl", FunctionDescriptor.of(INT, INT, INT, INT, ADDR));
    private static final MethodHandle EPOLL_WAIT =
            bind("epoll_wait", FunctionDescriptor.of(INT, INT, ADDR, INT, INT));
    private static final MethodHandle EVENTFD = bind("eventfd", FunctionDescriptor.of(INT, INT, INT));
    // bpf(2) has no libc wrapper: syscall(2) with its number (x86_64 321, aarch64 280; -1 elsewhere: refused).
    private static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64" -> 280;
        default -> -1;
    };
    private static final MethodHandle SYSCALL_BPF = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("syscall"),
            FunctionDescriptor.of(LONG, LONG, INT, ADDR, INT), Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("strerror"), FunctionDescriptor.of(ADDR, INT));

    private LinuxNative() {
    }

    /** Links the native calls now (this class's initialisation), before a moment when linking would cost. */
    public static void ensureLinked() {
        // the static initialiser did the work
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        SymbolLookup libc = LINKER.defaultLookup();
        return LINKER.downcallHandle(libc.findOrThrow(name), descriptor, Linker.Option.captureCallState("errno"));
    }

    /** A segment to receive errno; one per calling thread. */
    public static MemorySegment newErrnoSegment(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    public static int socket(MemorySegment errno, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(errno, domain, type, protocol);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int bind(MemorySegment errno, int fd, MemorySegment addr, int len) {
        try {
            return (int) BIND.invokeExact(errno, fd, addr, len);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int setsockopt(MemorySegment errno, int fd, int level, int name, MemorySegment value, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(errno, fd, level, name, value, len);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static long sendto(MemorySegment errno, int fd, MemorySegment buf, long len, int flags) {
        return sendto(errno, fd, buf, len, flags, MemorySegment.NULL, 0);
    }

    /** sendto(2) to an address (a netlink peer, a Unix datagram socket). */
    public static long sendto(MemorySegment errno, int fd, MemorySegment buf, long len, int flags, MemorySegment to,
                              int toLength) {
        try {
            return (long) SENDTO.invokeExact(errno, fd, buf, len, flags, to, toLength);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static long recv(MemorySegment errno, int fd, MemorySegment buf, long len, int flags) {
        try {
            return (long) RECV.invokeExact(errno, fd, buf, len, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static long recvmsg(MemorySegment errno, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) RECVMSG.invokeExact(errno, fd, msghdr, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** sendmsg(2): a message with ancillary data (SCM_RIGHTS: descriptors passed to another process). */
    public static long sendmsg(MemorySegment errno, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) SENDMSG.invokeExact(errno, fd, msghdr, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int listen(MemorySegment errno, int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(errno, fd, backlog);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** accept4(2) without the peer's address. */
    public static int accept4(MemorySegment errno, int fd, int flags) {
        try {
            return (int) ACCEPT4.invokeExact(errno, fd, MemorySegment.NULL, MemorySegment.NULL, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int connect(MemorySegment errno, int fd, MemorySegment addr, int len) {
        try {
            return (int) CONNECT.invokeExact(errno, fd, addr, len);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** getsockopt(2); {@code length} holds the value's size in, and what the kernel wrote out. */
    public static int getsockopt(MemorySegment errno, int fd, int level, int name, MemorySegment value,
                                 MemorySegment length) {
        try {
            return (int) GETSOCKOPT.invokeExact(errno, fd, level, name, value, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** dup2(2): {@code newFd} becomes a copy of {@code oldFd} (closed first if open), atomically. */
    public static int dup2(MemorySegment errno, int oldFd, int newFd) {
        try {
            return (int) DUP2.invokeExact(errno, oldFd, newFd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** dup(2): a new descriptor on the same open file (a socket handed over within one process, in tests). */
    public static int dup(MemorySegment errno, int fd) {
        try {
            return (int) DUP.invokeExact(errno, fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int sendmmsg(MemorySegment errno, int fd, MemorySegment msgvec, int count, int flags) {
        try {
            return (int) SENDMMSG.invokeExact(errno, fd, msgvec, count, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** mmap of a whole file descriptor region; MAP_FAILED comes back as address -1. */
    public static MemorySegment mmap(MemorySegment errno, long length, int prot, int flags, int fd) {
        return mmap(errno, length, prot, flags, fd, 0L);
    }

    /** mmap of a file descriptor's region at {@code offset} (an AF_XDP socket's rings); MAP_FAILED is address -1. */
    public static MemorySegment mmap(MemorySegment errno, long length, int prot, int flags, int fd, long offset) {
        try {
            return (MemorySegment) MMAP.invokeExact(errno, MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int munmap(MemorySegment errno, MemorySegment address, long length) {
        try {
            return (int) MUNMAP.invokeExact(errno, address, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int poll(MemorySegment errno, MemorySegment fds, long nfds, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(errno, fds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int close(MemorySegment errno, int fd) {
        try {
            return (int) CLOSE.invokeExact(errno, fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** open(2) of a path (a character device such as /dev/net/tun). */
    public static int open(MemorySegment errno, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(errno, path, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** bpf(2): command {@code cmd} with its {@code union bpf_attr} of {@code size} bytes. */
    public static int bpf(MemorySegment errno, int cmd, MemorySegment attr, int size) {
        if (SYS_BPF < 0) {
            throw new UnsupportedOperationException("bpf(2) on " + System.getProperty("os.arch")
                    + ": lbd knows its system call number on x86_64 and aarch64 only");
        }
        try {
            return (int) (long) SYSCALL_BPF.invokeExact(errno, SYS_BPF, cmd, attr, size);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ioctl(2) with a pointer argument. */
    public static int ioctl(MemorySegment errno, int fd, long request, MemorySegment argument) {
        try {
            return (int) IOCTL.invokeExact(errno, fd, request, argument);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** write(2) of {@code len} bytes at native address {@code address}. */
    public static long write(MemorySegment errno, int fd, long address, long len) {
        try {
            return (long) WRITE.invokeExact(errno, fd, address, len);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** read(2) of up to {@code len} bytes into native address {@code address}. */
    public static long read(MemorySegment errno, int fd, long address, long len) {
        try {
            return (long) READ.invokeExact(errno, fd, address, len);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int epollCreate1(MemorySegment errno, int flags) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(errno, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** epoll_ctl(2); {@code event} is one struct epoll_event ({@link #EPOLL_EVENT_SIZE} bytes), NULL for DEL. */
    public static int epollCtl(MemorySegment errno, int epfd, int op, int fd, MemorySegment event) {
        try {
            return (int) EPOLL_CTL.invokeExact(errno, epfd, op, fd, event);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int epollWait(MemorySegment errno, int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        try {
            return (int) EPOLL_WAIT.invokeExact(errno, epfd, events, maxEvents, timeoutMillis);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int eventfd(MemorySegment errno, int initialValue, int flags) {
        try {
            return (int) EVENTFD.invokeExact(errno, initialValue, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static short htons(int v) {
        return (short) (((v & 0xff) << 8) | ((v >> 8) & 0xff));
    }
}
