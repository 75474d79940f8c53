package lbd.dataplane.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.uring.LbdIoUringServerSocketChannel;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.StandardSocketOptions;
import java.util.List;
import java.util.Objects;
import lbd.config.model.Transport;

/**
 * One Netty 4.2 transport: the I/O handler factory for its event loops, its channel classes, and how its
 * listening sockets get SO_REUSEPORT (one listener per event loop on the same VIP:port) and IP_FREEBIND
 * (bind a VIP that is not configured on an interface yet — not offered by NIO).
 */
public final class NettyTransport {

    /** Netty's switch for io_uring's multishot accept (on by default where the kernel has it). */
    static final String ACCEPT_MULTISHOT_PROPERTY = "io.netty.iouring.acceptMultiShotEnabled";

    static {
        // Off, before Netty's IoUring class reads it. A multishot accept makes the kernel accept every client that
        // arrives into a new descriptor on its own, however many lbd can serve: at the connection ceiling the
        // listener stops reading, but the cancel reaches the kernel after a whole queue of clients has been
        // accepted — seen: 230 queued clients taken at once under ulimit -n 256, their real servers' sockets then
        // failing with EMFILE. Single-shot accepts are only issued while the listener reads (batched as epoll's
        // are, up to 16 per wake-up), so the ceiling holds. An operator can still set the property explicitly.
        if (System.getProperty(ACCEPT_MULTISHOT_PROPERTY) == null) {
            System.setProperty(ACCEPT_MULTISHOT_PROPERTY, "false");
        }
    }

    private final TransportKind kind;

    private NettyTransport(TransportKind kind) {
        this.kind = kind;
    }

    /**
     * The transport for a request: AUTO takes io_uring, else epoll, else NIO; an explicit request that this
     * machine cannot honour fails with a one-line message naming the cause.
     */
    public static NettyTransport select(Transport requested) {
        Objects.requireNonNull(requested, "requested");
        if (requested == Transport.AUTO) {
            for (TransportKind kind : List.of(TransportKind.IO_URING, TransportKind.EPOLL)) {
                if (isAvailable(kind)) {
                    return new NettyTransport(kind);
                }
            }
            return new NettyTransport(TransportKind.NIO);
        }
        TransportKind kind = switch (requested) {
            case IO_URING -> TransportKind.IO_URING;
            case EPOLL -> TransportKind.EPOLL;
            case NIO -> TransportKind.NIO;
            case AUTO -> throw new AssertionError();
        };
        if (!isAvailable(kind)) {
            throw new IllegalStateException("lbd: transport=" + kind + " is not available on this machine ("
                    + describe(unavailabilityCause(kind)) + "); use transport=auto, or another transport");
        }
        return new NettyTransport(kind);
    }

    public static boolean isAvailable(TransportKind kind) {
        return switch (kind) {
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
            case NIO -> true;
        };
    }

    /** Why a transport cannot be used, or null when it can. */
    public static Throwable unavailabilityCause(TransportKind kind) {
        return switch (kind) {
            case IO_URING -> IoUring.unavailabilityCause();
            case EPOLL -> Epoll.unavailabilityCause();
            case NIO -> null;
        };
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause given";
        }
        // The root cause is the one that names the missing kernel feature or library.
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    public TransportKind kind() {
        return kind;
    }

    /**
     * Whether the transport's listeners accept only while they read — false for io_uring with multishot accept
     * (see {@link #ACCEPT_MULTISHOT_PROPERTY}), whose kernel accepts on its own until it is cancelled.
     */
    public boolean acceptsOnlyWhileReading() {
        return kind != TransportKind.IO_URING || !IoUring.isAcceptMultishotEnabled();
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (kind) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public Class<? extends ServerChannel> serverChannelClass() {
        return switch (kind) {
            case IO_URING -> LbdIoUringServerSocketChannel.class; // see there: one system call less per connection
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return switch (kind) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    /**
     * Whether this transport's channels can be made from an open socket, and their sockets given to another process
     * ({@code lbd upgrade}): epoll and io_uring. NIO cannot: the JDK has no way to wrap a descriptor in a channel,
     * nor to name the descriptor of its own.
     */
    public boolean handsOverSockets() {
        return kind != TransportKind.NIO;
    }

    /** The descriptor of a channel of this transport (see {@link #handsOverSockets()}). */
    public static int descriptorOf(Channel channel) {
        if (channel instanceof UnixChannel unix) {
            return unix.fd().intValue();
        }
        throw new IllegalArgumentException("lbd: a " + channel.getClass().getSimpleName() + " has no descriptor to hand"
                + " over (transport=nio)");
    }

    /** A server channel on {@code fd}, a TCP socket already bound and listening (from the process before). */
    public ServerChannel adoptServerChannel(int fd) {
        return switch (kind) {
            case IO_URING -> new LbdIoUringServerSocketChannel(fd);
            case EPOLL -> new EpollServerSocketChannel(fd);
            case NIO -> throw new IllegalStateException("lbd: transport=nio cannot take over a listening socket");
        };
    }

    /** A datagram channel on {@code fd}, a UDP socket already bound (a VIP's, from the process before). */
    public DatagramChannel adoptDatagramChannel(int fd) {
        return switch (kind) {
            case IO_URING -> new IoUringDatagramChannel(fd);
            case EPOLL -> new EpollDatagramChannel(fd);
            case NIO -> throw new IllegalStateException("lbd: transport=nio cannot take over a VIP's socket");
        };
    }

    /** Whether listeners can bind an address not (yet) configured on this host. */
    public boolean supportsFreeBind() {
        return kind != TransportKind.NIO;
    }

    /**
     * A new unregistered UDP socket of the family of {@code address}: the VIP's (then see
     * {@link #applyDatagramListenerOptions}) or a flow's to a real server. A socket of the address's own family,
     * not a dual-stack one, so that an IPv4 peer is reported as an IPv4 address.
     */
    public DatagramChannel newDatagramChannel(InetAddress address) {
        SocketProtocolFamily family = address instanceof Inet4Address ? SocketProtocolFamily.INET
                : SocketProtocolFamily.INET6;
        return switch (kind) {
            case IO_URING -> new IoUringDatagramChannel(family);
            case EPOLL -> new EpollDatagramChannel(family);
            case NIO -> new NioDatagramChannel(family);
        };
    }

    /**
     * SO_REUSEPORT (one socket per event loop on the same VIP:port; the kernel hashes each client address:port
     * to one of them, so a client's datagrams always reach the loop that holds its flow) and, where offered,
     * IP_FREEBIND, on an unregistered VIP datagram socket.
     */
    public void applyDatagramListenerOptions(DatagramChannel channel) {
        switch (kind) {
            case IO_URING -> {
                channel.config().setOption(UnixChannelOption.SO_REUSEPORT, true);
                channel.config().setOption(IoUringChannelOption.IP_FREEBIND, true);
            }
            case EPOLL -> {
                channel.config().setOption(UnixChannelOption.SO_REUSEPORT, true);
                channel.config().setOption(EpollChannelOption.IP_FREEBIND, true);
            }
            case NIO -> channel.config().setOption(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
        }
    }

    /**
     * SO_REUSEPORT and, where offered, IP_FREEBIND on a listening socket of {@link #serverChannelClass()} (io_uring's
     * sets both itself, see there).
     */
    public ServerBootstrap applyListenerOptions(ServerBootstrap bootstrap) {
        return switch (kind) {
            case IO_URING -> bootstrap;
            case EPOLL -> bootstrap.option(UnixChannelOption.SO_REUSEPORT, true)
                    .option(EpollChannelOption.IP_FREEBIND, true);
            case NIO -> bootstrap.option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
        };
    }

    @Override
    public String toString() {
        return kind.configName();
    }
}
