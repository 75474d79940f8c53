package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.Native;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around a Netty 4.2 epoll bug that breaks TCP half-close: when a channel's interest set becomes empty
 * (after a FIN was read with AUTO_READ off: EPOLLIN and EPOLLRDHUP both cleared, nothing to write), Netty's
 * {@code EpollIoHandler} removes the descriptor from epoll (EPOLL_CTL_DEL) but keeps its registration marked as
 * added; the next interest — EPOLLOUT because the half-closed client's socket is full, or EPOLLIN to read on —
 * is an EPOLL_CTL_MOD that fails with ENOENT, and Netty closes the channel. A large response to a client that
 * has already sent its FIN was cut off that way.
 *
 * <p>The fix: add EPOLLERR to the channel's interest set once, before it is registered, so that the EPOLL_CTL_ADD
 * of its registration already carries it (no epoll_ctl of its own). The kernel reports
 * EPOLLERR (and EPOLLHUP) whether asked for or not, so this changes no event; it only keeps the set from ever
 * being empty, so Netty never deletes the descriptor. {@code setFlag} is protected, hence the one reflective
 * handle; if a Netty version lacks it, nothing is pinned and {@link #available()} says so (splice then stays off,
 * since it must read after a FIN).
 */
final class EpollInterestPin {

    private static final Logger LOG = LoggerFactory.getLogger(EpollInterestPin.class);
    private static final MethodHandle SET_FLAG = setFlag();

    private EpollInterestPin() {
    }

    private static MethodHandle setFlag() {
        try {
            // Declared (protected) by the package-private AbstractEpollChannel, the parent of every epoll socket.
            Class<?> declaring = AbstractEpollStreamChannel.class.getSuperclass();
            return MethodHandles.privateLookupIn(declaring, MethodHandles.lookup())
                    .findVirtual(declaring, "setFlag", MethodType.methodType(void.class, int.class))
                    .asType(MethodType.methodType(void.class, AbstractEpollStreamChannel.class, int.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.warn("lbd: cannot apply the epoll half-close workaround with this Netty version ({}); with"
                    + " transport=epoll a half-closed connection may be cut off; use transport=io_uring or nio", e.toString());
            return null;
        }
    }

    static boolean available() {
        return SET_FLAG != null;
    }

    /**
     * Pins a channel that is not yet registered with its event loop: Netty then only records the interest, and
     * the EPOLL_CTL_ADD of the registration carries it. (Only EPOLLERR: an EPOLLIN recorded this early would be
     * cleared again by the AUTO_READ=false option.) A no-op for other transports' channels and when the
     * workaround is unavailable.
     */
    static void pin(Channel channel) {
        set(channel, Native.EPOLLERR);
    }

    /**
     * Adds EPOLLIN to the interest set of a channel to a real server that is not yet registered, after its
     * AUTO_READ=false option (which clears EPOLLIN), so that the EPOLL_CTL_ADD of its connect carries it. The
     * proxy asks for the first read as soon as the connect completes ({@code ProxiedConnection#channelActive},
     * within the same event, before Netty looks at EPOLLIN), which then finds EPOLLIN set and needs no
     * EPOLL_CTL_MOD of its own: one system call less per connection. Nothing can be read before the connect
     * completes, and a failed connect reports EPOLLERR, which Netty already handles as a read.
     */
    static void pinFirstRead(Channel channel) {
        set(channel, Native.EPOLLIN);
    }

    private static void set(Channel channel, int flag) {
        if (SET_FLAG == null || !(channel instanceof AbstractEpollStreamChannel epoll) || !channel.isOpen()) {
            return;
        }
        try {
            SET_FLAG.invokeExact(epoll, flag);
        } catch (Throwable e) {
            // The channel failed under us; its own events report that.
            LOG.debug("lbd: could not pin the epoll interest of {}: {}", channel, e.toString());
        }
    }
}
