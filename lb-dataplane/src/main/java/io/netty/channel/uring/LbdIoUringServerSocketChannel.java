package io.netty.channel.uring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * lbd's io_uring server channel: on a socket of its own (bound and listening by {@link #doBind}, as
 * {@link IoUringServerSocketChannel}'s), or on one that is already bound and listening — one that {@code lbd
 * upgrade}'s new process received from the old one (SCM_RIGHTS), with its queue of clients not yet accepted. It sits
 * in Netty's package to reach the package-private parts of {@link AbstractIoUringServerChannel}.
 *
 * <p>Why not Netty's own: its io_uring transport cannot adopt a listening socket (its server channel always opens
 * one; epoll offers {@code new EpollServerSocketChannel(fd)}), and for every accepted connection it makes two
 * {@link LinuxSocket}s of the same descriptor, each asking the kernel for the socket's family (a getsockname per
 * {@code Socket} constructor) — one of them only to read {@code isIpv6()}. Here one socket object serves both: one
 * system call less per connection. Otherwise it does per accepted connection and at bind what Netty's class does,
 * line for line; lbd's tests of listening (the Nat* tests on io_uring) and of the hand-over (NatAdoptListenerTest)
 * fail at once if a Netty upgrade changes these internals.
 */
public final class LbdIoUringServerSocketChannel extends AbstractIoUringServerChannel implements ServerSocketChannel {

    private final IoUringServerSocketChannelConfig config;

    /**
     * A VIP's listener on a new socket of the preferred family, bound and listening at {@link #doBind}, with
     * SO_REUSEPORT (one listener per event loop on the same VIP:port) and IP_FREEBIND (a VIP not configured on an
     * interface yet) set here on the socket: Netty's config, which this class shares, sets those two only on a
     * channel of Netty's own class (it casts to it).
     */
    public LbdIoUringServerSocketChannel() {
        super(LinuxSocket.newSocketStream(), false);
        this.config = new IoUringServerSocketChannelConfig(this);
        try {
            socket.setReusePort(true);
            socket.setIpFreeBind(true);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** @param fd a listening TCP socket, non-blocking (as Netty's own listeners are; the flag is the socket's) */
    public LbdIoUringServerSocketChannel(int fd) {
        super(new LinuxSocket(fd), true);
        this.config = new IoUringServerSocketChannelConfig(this);
    }

    @Override
    public ServerSocketChannelConfig config() {
        return config;
    }

    @Override
    Channel newChildChannel(int fd, ByteBuffer acceptedAddressMemory) {
        IoUringIoHandler handler = registration().attachment();
        LinuxSocket socket = new LinuxSocket(fd);
        if (acceptedAddressMemory != null) {
            // A single-shot accept (lbd's default, see NettyTransport): the kernel wrote the peer's address.
            InetSocketAddress address;
            if (socket.isIpv6()) {
                address = SockaddrIn.getIPv6(acceptedAddressMemory, handler.inet6AddressArray(),
                        handler.inet4AddressArray());
            } else {
                address = SockaddrIn.getIPv4(acceptedAddressMemory, handler.inet4AddressArray());
            }
            return new IoUringSocketChannel(this, socket, address);
        }
        return new IoUringSocketChannel(this, socket);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public void doBind(SocketAddress localAddress) throws Exception {
        super.doBind(localAddress);
        if (IoUring.isTcpFastOpenServerSideAvailable()) {
            Integer fastOpen = config().getOption(ChannelOption.TCP_FASTOPEN);
            if (fastOpen != null && fastOpen > 0) {
                socket.setTcpFastOpen(fastOpen);
            }
        }
        socket.listen(config.getBacklog());
        active = true;
    }
}
