package lbd.dataplane.nat;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.NetUtil;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import lbd.sys.LinuxNative;

/**
 * Prepares a socket to a real server whose source address lbd chooses (transparent=yes: the client's; else one of
 * sourceaddress=), before it is bound to that address with port 0:
 * <ul>
 * <li>IP_TRANSPARENT (transparent=yes): the socket may be bound to an address that is not this host's, and the
 * kernel sends from it. Needs CAP_NET_ADMIN (or CAP_NET_RAW). At level SOL_IP also for an IPv6 socket: the kernel
 * takes the IPv4 option on any inet socket and sets the same flag IPV6_TRANSPARENT would.</li>
 * <li>IP_BIND_ADDRESS_NO_PORT: bind() takes the address only; the port is chosen at connect(), for the whole
 * four-tuple. Without it, bind(ADDR:0) reserves a port for ADDR towards every destination, so one address gives at
 * most ip_local_port_range's count of connections in all; with it, that many per real server ip:port.</li>
 * </ul>
 * Through FFM on the channel's descriptor, one path for epoll and io_uring (Netty's io_uring channel offers no
 * IP_BIND_ADDRESS_NO_PORT). NIO hides the descriptor: there bind(ADDR:0) does without the second option, and
 * transparent=yes is refused when lbd starts. One instance per event loop (its cells are reused): loop thread only.
 */
final class SourceSockets {

    static final int SOL_IP = 0;
    static final int IP_TRANSPARENT = 19;
    static final int IP_BIND_ADDRESS_NO_PORT = 24;
    /** What {@link #prepare} returns for a channel without a descriptor of its own (NIO) asked to be transparent. */
    static final int EOPNOTSUPP = 95;

    private final MemorySegment errno;
    private final MemorySegment one;

    SourceSockets() {
        Arena arena = Arena.ofAuto();
        errno = LinuxNative.newErrnoSegment(arena);
        one = arena.allocate(JAVA_INT);
        one.set(JAVA_INT, 0, 1);
    }

    /**
     * Sets the options on a new, unconnected channel's socket.
     *
     * @return 0; or the errno of IP_TRANSPARENT, or minus the errno of IP_BIND_ADDRESS_NO_PORT, when one of them
     *         failed ({@link #describe} says which)
     */
    int prepare(Channel channel, boolean transparent) {
        if (!(channel instanceof UnixChannel unix)) {
            return transparent ? EOPNOTSUPP : 0;
        }
        int fd = unix.fd().intValue();
        if (transparent && LinuxNative.setsockopt(errno, fd, SOL_IP, IP_TRANSPARENT, one, 4) != 0) {
            return LinuxNative.errno(errno);
        }
        if (LinuxNative.setsockopt(errno, fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, one, 4) != 0) {
            return -LinuxNative.errno(errno); // negative: the second option
        }
        return 0;
    }

    /**
     * transparent=yes: the address to bind a socket to {@code to} to — the client's, port 0 (the kernel picks one
     * free for the four-tuple) — or null when the client's address is of the other family (possible behind
     * acceptproxy=yes), which no socket to {@code to} can be bound to.
     */
    static InetSocketAddress clientSource(InetSocketAddress client, InetSocketAddress to) {
        boolean sameFamily = (client.getAddress() instanceof Inet4Address) == (to.getAddress() instanceof Inet4Address);
        return sameFamily ? new InetSocketAddress(client.getAddress(), 0) : null;
    }

    /** Why {@link #clientSource} gave none, for the warning. */
    static String otherFamily(InetSocketAddress client) {
        return "the client's address " + NetUtil.toAddressString(client.getAddress()) + " is not of the real"
                + " server's address family, so transparent=yes cannot use it as the source; the client is refused";
    }

    /** A socket to a real server could not be given its options: the connect fails with this, not the server. */
    static final class OptionFailed extends java.io.IOException {
        OptionFailed(int failure) {
            super(describe(failure));
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // the message is the whole story; a failing option fails every connect, cheaply
        }
    }

    /** A failure {@link #prepare} returned, in words: the option and the kernel's reason. */
    static String describe(int failure) {
        if (failure == EOPNOTSUPP) {
            return "transport=nio cannot open a socket from another host's address (no IP_TRANSPARENT in Java's"
                    + " socket API); use transport=epoll or io_uring";
        }
        String option = failure > 0 ? "IP_TRANSPARENT" : "IP_BIND_ADDRESS_NO_PORT";
        int code = Math.abs(failure);
        String hint = failure > 0 && (code == 1 || code == 13)
                ? " (lbd needs CAP_NET_ADMIN for transparent=yes)" : "";
        return "setsockopt(" + option + ") failed: " + LinuxNative.strerror(code) + hint;
    }
}
