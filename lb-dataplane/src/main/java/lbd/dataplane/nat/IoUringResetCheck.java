package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import java.io.IOException;

/**
 * Works around a Netty 4.2 io_uring behaviour that loses a peer's reset (RST), so that the other side of the
 * proxied connection never hears of it and hangs.
 *
 * <p>How Netty's io_uring socket reads (no buffer ring, the default): {@code read()} arms a POLLIN poll and
 * then recv's; on kernels with multishot poll (5.13+) that poll stays armed across read rounds and posts one
 * completion per wake-up of the socket, like an edge-triggered epoll. A read round ends as soon as a recv's
 * completion says the socket is empty (no {@code IORING_CQE_F_SOCK_NONEMPTY}, i.e. the kernel's "inq" hint is 0).
 * A separate one-shot POLLRDHUP poll, armed once when the channel becomes active, makes Netty read on its own when
 * the peer shuts down or resets (whatever the application asked).
 *
 * <p>What goes wrong with a reset that arrives while data is still queued: the kernel sets the socket error
 * (ECONNRESET), and the reset's single wake-up is consumed by the polls; Netty reads the queued data, and after
 * the last bytes the inq hint is 0 — for a FIN the kernel reports 1 there (SOCK_DONE), for a reset it does not —
 * so the round ends without the one recv that would have returned ECONNRESET. The next {@code read()} finds the
 * multishot POLLIN poll still armed and submits nothing; no further wake-up ever comes. Neither
 * {@code exceptionCaught} nor {@code channelInactive} fires: the connection hangs. It happens whenever back-pressure
 * holds reads back when the reset arrives (then the POLLRDHUP read round drains the socket to empty), and now and
 * then otherwise (a reset landing behind data in the middle of a round). epoll does not have the problem: EPOLLERR
 * is reported whatever the interest set. Setting {@code -Dio.netty.iouring.pollAddMultishotEnabled=false} also
 * avoids it (a fresh one-shot poll sees the reset), but that is JVM-wide and only read when Netty's io_uring class
 * initialises.
 *
 * <p>The fix: after every read round of an io_uring socket ({@code channelReadComplete}, which every round that
 * does not fail ends with — also the rounds Netty starts on its own for POLLRDHUP), ask the kernel for the socket's
 * pending error ({@code getsockopt(SO_ERROR)}, through Netty's public {@link Socket#getSoError()}). A reset is
 * then reported as the failed read it would have been. That costs one system call per read round on io_uring, and
 * nothing on the other transports. Taking the error clears it, which is fine: the proxy closes the socket next.
 * Not after a round that ended with the peer's FIN (the input is then shut): the lost reset is the one behind data
 * that ends a round without EOF; after a FIN lbd reads that socket no more, and a reset that follows it fails
 * lbd's next write to it. That saves the call on the last round of every connection that ends with FINs.
 */
final class IoUringResetCheck {

    private IoUringResetCheck() {
    }

    /**
     * Loop thread, after a read round: the error the kernel holds for an io_uring socket (a reset, usually),
     * taking it; null when there is none, or for any other transport.
     */
    static IOException takePendingError(Channel channel) {
        if (!(channel instanceof IoUringSocketChannel uring) || !channel.isOpen() || uring.isInputShutdown()) {
            return null;
        }
        int errno;
        try {
            errno = ((Socket) uring.fd()).getSoError();
        } catch (IOException | ClassCastException e) {
            return null; // the socket is going away; its own events report that
        }
        return errno == 0 ? null : Errors.newIOException("io_uring read", -errno);
    }
}
