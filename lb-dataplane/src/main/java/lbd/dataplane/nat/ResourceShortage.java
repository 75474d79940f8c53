package lbd.dataplane.nat;

import io.netty.channel.unix.Errors;
import java.util.Locale;

/**
 * Which of the process's limits a failed accept or socket() ran into: file descriptors (EMFILE: the process's
 * open-files limit; ENFILE: the system's) or kernel memory (ENOBUFS, ENOMEM). These are lbd's own shortage, not a
 * client's or a real server's fault, and they pass once something is closed — so the answer is to pause and try
 * again, never to spin or to fail over. Netty reports them as a NativeIoException with the errno (epoll,
 * io_uring) or as an IOException with the C library's message (NIO), possibly wrapped in a ChannelException.
 */
enum ResourceShortage {
    EMFILE(24, "too many open files"),
    ENFILE(23, "too many open files in system"),
    ENOBUFS(105, "no buffer space available"),
    ENOMEM(12, "cannot allocate memory");

    private final int errno;
    private final String message; // strerror's text, lower case

    ResourceShortage(int errno, String message) {
        this.errno = errno;
        this.message = message;
    }

    /** Whether the limit is on file descriptors (the operator raises ulimit -n / LimitNOFILE=). */
    boolean descriptors() {
        return this == EMFILE || this == ENFILE;
    }

    /** The shortage {@code failure} (or one of its causes) reports, or null when it is something else. */
    static ResourceShortage of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Errors.NativeIoException n) {
                ResourceShortage byErrno = byErrno(-n.expectedErr());
                if (byErrno != null) {
                    return byErrno;
                }
            }
            ResourceShortage byMessage = byMessage(t.getMessage());
            if (byMessage != null) {
                return byMessage;
            }
        }
        return null;
    }

    private static ResourceShortage byErrno(int errno) {
        for (ResourceShortage s : values()) {
            if (s.errno == errno) {
                return s;
            }
        }
        return null;
    }

    private static ResourceShortage byMessage(String text) {
        if (text == null) {
            return null;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        // The longer message first: "too many open files in system" also contains EMFILE's.
        for (ResourceShortage s : new ResourceShortage[] {ENFILE, EMFILE, ENOBUFS, ENOMEM}) {
            if (lower.contains(s.message)) {
                return s;
            }
        }
        return null;
    }
}
