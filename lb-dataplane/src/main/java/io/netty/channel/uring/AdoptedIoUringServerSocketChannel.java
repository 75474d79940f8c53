package io.netty.channel.uring;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * An io_uring server channel on a listening socket that is already bound and listening — one that {@code lbd
 * upgrade}'s new process received from the old one (SCM_RIGHTS), with its queue of clients not yet accepted.
 * Netty 4.2's epoll transport offers this ({@code new EpollServerSocketChannel(fd)}); its io_uring transport does
 * not (its server channel always opens a socket of its own), so this class sits in Netty's package to reach the
 * package-private constructor of {@link AbstractIoUringServerChannel} that takes a socket and "active". What it
 * does per accepted connection is {@link IoUringServerSocketChannel}'s own, line for line; lbd's test of the
 * hand-over (NatAdoptListenerTest) fails at once if a Netty upgrade changes these internals.
 */
public final class AdoptedIoUringServerSocketChannel extends AbstractIoUringServerChannel
        implements ServerSocketChannel {

    private final IoUringServerSocketChannelConfig config;

    /** @param fd a listening TCP socket, non-blocking (as Netty's own listeners are; the flag is the socket's) */
    public AdoptedIoUringServerSocketChannel(int fd) {
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
}
