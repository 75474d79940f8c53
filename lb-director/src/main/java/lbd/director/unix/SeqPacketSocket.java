package lbd.director.unix;

import static lbd.sys.LinuxNative.MSG_NOSIGNAL;
import static lbd.sys.LinuxNative.SOCK_CLOEXEC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import lbd.sys.LinuxNative;

/**
 * A UNIX-domain SOCK_SEQPACKET socket through FFM: connection-oriented like a stream, but each send arrives as one
 * message, and a message may carry open file descriptors (SCM_RIGHTS) — which the JDK's UNIX channels cannot do.
 * {@code lbd upgrade} hands its listening sockets to the new process over one ({@link lbd.director.upgrade}).
 * Every call that waits takes a bound. One thread uses a socket at a time.
 */
public final class SeqPacketSocket implements AutoCloseable {

    /** The largest message (sender and receiver agree on it; larger contents are sent in parts). */
    public static final int MAX_MESSAGE = 60 * 1024;
    /** The most descriptors one message carries (the kernel's own limit, SCM_MAX_FD, is 253). */
    public static final int MAX_FDS = 200;

    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SUN_PATH = 108;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SO_PEERCRED = 17;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final short POLLIN = 0x1;
    private static final int EINTR = 4;
    // struct msghdr (LP64): name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48.
    private static final int MSGHDR_SIZE = 56;
    private static final int CMSGHDR_SIZE = 16; // cmsg_len (size_t), cmsg_level, cmsg_type

    /** One message received: its bytes and the descriptors it carried (now open in this process). */
    public record Received(byte[] bytes, int[] fds) {

        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private final int fd;
    private final Path boundPath; // the listener's socket file, removed on close; null otherwise

    private SeqPacketSocket(int fd, Path boundPath) {
        this.fd = fd;
        this.boundPath = boundPath;
    }

    /** A listening socket at {@code path} (a stale file there is replaced), mode 0600. */
    public static SeqPacketSocket listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        int fd = newSocket();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment address = address(call, path);
            if (LinuxNative.bind(errno, fd, address, (int) address.byteSize()) != 0
                    || LinuxNative.listen(errno, fd, 4) != 0) {
                int e = LinuxNative.errno(errno);
                LinuxNative.close(errno, fd);
                throw new IOException("cannot listen on " + path + ": " + LinuxNative.strerror(e));
            }
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        return new SeqPacketSocket(fd, path);
    }

    /** Connects to the listening socket at {@code path}. */
    public static SeqPacketSocket connect(Path path) throws IOException {
        int fd = newSocket();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment address = address(call, path);
            if (LinuxNative.connect(errno, fd, address, (int) address.byteSize()) != 0) {
                int e = LinuxNative.errno(errno);
                LinuxNative.close(errno, fd);
                throw new IOException("cannot connect to " + path + ": " + LinuxNative.strerror(e));
            }
        }
        return new SeqPacketSocket(fd, null);
    }

    /** The next connection, waiting at most {@code wait}. */
    public SeqPacketSocket accept(Duration wait) throws IOException {
        awaitReadable(wait, "a connection");
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            int client = LinuxNative.accept4(errno, fd, SOCK_CLOEXEC);
            if (client < 0) {
                throw new IOException("accept: " + LinuxNative.strerror(LinuxNative.errno(errno)));
            }
            return new SeqPacketSocket(client, null);
        }
    }

    /** The process id of the peer as it connected (SO_PEERCRED): the kernel's word, not the peer's. */
    public long peerPid() throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment ucred = call.allocate(12, 4); // pid, uid, gid
            MemorySegment length = call.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 12);
            if (LinuxNative.getsockopt(errno, fd, SOL_SOCKET, SO_PEERCRED, ucred, length) != 0) {
                throw new IOException("SO_PEERCRED: " + LinuxNative.strerror(LinuxNative.errno(errno)));
            }
            return ucred.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Sends one message; with {@code fds}, copies of those descriptors arrive with it. */
    public void send(byte[] message, int... fds) throws IOException {
        if (message.length == 0 || message.length > MAX_MESSAGE || fds.length > MAX_FDS) {
            throw new IllegalArgumentException("message of " + message.length + " bytes with " + fds.length
                    + " descriptors: 1 to " + MAX_MESSAGE + " bytes and at most " + MAX_FDS + " descriptors");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment data = call.allocate(message.length);
            MemorySegment.copy(message, 0, data, ValueLayout.JAVA_BYTE, 0, message.length);
            MemorySegment msghdr = header(call, data);
            if (fds.length > 0) {
                long space = CMSGHDR_SIZE + align8(4L * fds.length);
                MemorySegment control = call.allocate(space, 8);
                control.set(ValueLayout.JAVA_LONG, 0, CMSGHDR_SIZE + 4L * fds.length);
                control.set(ValueLayout.JAVA_INT, 8, SOL_SOCKET);
                control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    control.set(ValueLayout.JAVA_INT, CMSGHDR_SIZE + 4L * i, fds[i]);
                }
                msghdr.set(ValueLayout.ADDRESS, 32, control);
                msghdr.set(ValueLayout.JAVA_LONG, 40, space);
            }
            long sent;
            do {
                sent = LinuxNative.sendmsg(errno, fd, msghdr, MSG_NOSIGNAL);
            } while (sent < 0 && LinuxNative.errno(errno) == EINTR);
            if (sent != message.length) {
                throw new IOException("send: " + (sent < 0 ? LinuxNative.strerror(LinuxNative.errno(errno))
                        : "cut to " + sent + " bytes"));
            }
        }
    }

    /** Sends one text message. */
    public void send(String text, int... fds) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8), fds);
    }

    /**
     * The next message, waiting at most {@code wait}; the descriptors it carried are open in this process (close-on-
     * exec) and now the caller's.
     *
     * @throws java.io.EOFException when the peer closed the connection
     */
    public Received receive(Duration wait) throws IOException {
        awaitReadable(wait, "a message");
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment data = call.allocate(MAX_MESSAGE);
            MemorySegment msghdr = header(call, data);
            long space = CMSGHDR_SIZE + align8(4L * MAX_FDS);
            MemorySegment control = call.allocate(space, 8);
            msghdr.set(ValueLayout.ADDRESS, 32, control);
            msghdr.set(ValueLayout.JAVA_LONG, 40, space);
            long n;
            do {
                n = LinuxNative.recvmsg(errno, fd, msghdr, MSG_CMSG_CLOEXEC);
            } while (n < 0 && LinuxNative.errno(errno) == EINTR);
            if (n < 0) {
                throw new IOException("receive: " + LinuxNative.strerror(LinuxNative.errno(errno)));
            }
            int[] fds = descriptors(msghdr, control);
            if (n == 0) {
                closeAll(fds);
                throw new java.io.EOFException("the other process closed the connection");
            }
            if ((msghdr.get(ValueLayout.JAVA_INT, 48) & MSG_CTRUNC) != 0) {
                closeAll(fds);
                throw new IOException("a message carried more than " + MAX_FDS + " descriptors");
            }
            return new Received(data.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), fds);
        }
    }

    /** New descriptors on the same open files (dup), for handing over copies while the originals may close. */
    public static int[] duplicates(int... fds) {
        int[] copies = new int[fds.length];
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            for (int i = 0; i < fds.length; i++) {
                copies[i] = LinuxNative.dup(errno, fds[i]);
                if (copies[i] < 0) {
                    String why = LinuxNative.strerror(LinuxNative.errno(errno));
                    closeAll(java.util.Arrays.copyOf(copies, i));
                    throw new IllegalStateException("cannot duplicate descriptor " + fds[i] + ": " + why);
                }
            }
        }
        return copies;
    }

    /** Closes descriptors this process received and does not keep. */
    public static void closeAll(int... fds) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            for (int received : fds) {
                LinuxNative.close(errno, received);
            }
        }
    }

    private static int[] descriptors(MemorySegment msghdr, MemorySegment control) {
        long length = msghdr.get(ValueLayout.JAVA_LONG, 40);
        if (length < CMSGHDR_SIZE) {
            return new int[0];
        }
        int[] all = new int[0];
        long offset = 0;
        while (offset + CMSGHDR_SIZE <= length) {
            long cmsgLen = control.get(ValueLayout.JAVA_LONG, offset);
            int level = control.get(ValueLayout.JAVA_INT, offset + 8);
            int type = control.get(ValueLayout.JAVA_INT, offset + 12);
            if (cmsgLen < CMSGHDR_SIZE) {
                break;
            }
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int count = (int) ((cmsgLen - CMSGHDR_SIZE) / 4);
                int[] more = java.util.Arrays.copyOf(all, all.length + count);
                for (int i = 0; i < count; i++) {
                    more[all.length + i] = control.get(ValueLayout.JAVA_INT, offset + CMSGHDR_SIZE + 4L * i);
                }
                all = more;
            }
            offset += align8(cmsgLen);
        }
        return all;
    }

    private static MemorySegment header(Arena call, MemorySegment data) {
        MemorySegment iov = call.allocate(16, 8);
        iov.set(ValueLayout.ADDRESS, 0, data);
        iov.set(ValueLayout.JAVA_LONG, 8, data.byteSize());
        MemorySegment msghdr = call.allocate(MSGHDR_SIZE, 8);
        msghdr.set(ValueLayout.ADDRESS, 16, iov);
        msghdr.set(ValueLayout.JAVA_LONG, 24, 1);
        return msghdr;
    }

    private void awaitReadable(Duration wait, String what) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment pollfd = call.allocate(8, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new java.net.SocketTimeoutException("no " + what + " within " + wait.toMillis() + " ms");
                }
                int ready = LinuxNative.poll(errno, pollfd, 1, (int) Math.max(1, Math.min(left / 1_000_000, 1000)));
                if (ready > 0) {
                    return;
                }
                if (ready < 0 && LinuxNative.errno(errno) != EINTR) {
                    throw new IOException("poll: " + LinuxNative.strerror(LinuxNative.errno(errno)));
                }
            }
        }
    }

    private static int newSocket() throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            int fd = LinuxNative.socket(errno, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("cannot open a UNIX seqpacket socket: "
                        + LinuxNative.strerror(LinuxNative.errno(errno)));
            }
            return fd;
        }
    }

    private static MemorySegment address(Arena call, Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length + 1 > SUN_PATH) {
            throw new IOException("UNIX socket path too long (" + name.length + " bytes, at most "
                    + (SUN_PATH - 1) + "): " + path);
        }
        MemorySegment address = call.allocate(2 + name.length + 1, 2);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
        return address;
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    @Override
    public void close() {
        try (Arena call = Arena.ofConfined()) {
            LinuxNative.close(LinuxNative.newErrnoSegment(call), fd);
        }
        if (boundPath != null) {
            try {
                Files.deleteIfExists(boundPath);
            } catch (IOException e) {
                // a leftover socket file is replaced by the next listen
            }
        }
    }
}
