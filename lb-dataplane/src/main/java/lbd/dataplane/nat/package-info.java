/**
 * The NAT (masq) data plane: a user-space TCP proxy on each VIP, built on Netty 4.2.
 *
 * <p>Shape: {@link lbd.dataplane.nat.NatProxy} starts one event loop per core (io_uring, else epoll, else NIO;
 * see {@link lbd.dataplane.transport.NettyTransport}); each loop has its own SO_REUSEPORT listener on every
 * VIP:port, its own {@link lbd.dataplane.worker.WorkerState}, and keeps each client connection and its
 * connection to the real server on itself. {@link lbd.dataplane.nat.VipAcceptor} admits a connection,
 * {@link lbd.dataplane.nat.ProxiedConnection} carries it.
 *
 * <p>Approximations, on purpose:
 * <ul>
 *   <li>maxconns is enforced per loop as an even share of the cap (lock-free; the shares add up to the cap),
 *       so a loop may refuse while another still has room;</li>
 *   <li>"packets" in the counters are socket reads, not TCP segments;</li>
 *   <li>one retry on another real server after a failed connect (then the fallback), which IPVS does not do:
 *       a user-space proxy can, since the client's connection is already accepted;</li>
 *   <li>zero-copy splice on epoll only ({@link lbd.dataplane.nat.SplicePump}): once a direction has carried
 *       {@link lbd.dataplane.nat.NatSettings#spliceThresholdBytes()} (default 1 MiB) through user space, its
 *       further bytes move socket → pipe → socket with Netty's {@code spliceTo}, in chunks no longer than what
 *       the kernel already holds (FIONREAD, via FFM), so every chunk completes and is counted exactly; one
 *       chunk is one "packet". io_uring in Netty 4.2 has no socket-to-socket splice (only file regions), NIO
 *       none at all: both always copy;</li>
 *   <li>idle timeout: the idle handler watches the client's channel; a connection that moved bytes either way
 *       (read from either side, or spliced) within the idle period is not closed, as IPVS refreshes a
 *       connection on a packet in either direction. A truly idle connection closes within one to two
 *       periods;</li>
 *   <li>epoll half-close needs a workaround for a Netty 4.2 bug ({@link lbd.dataplane.nat.EpollInterestPin}):
 *       without it, a channel whose interest set empties after its FIN is silently removed from epoll, and the
 *       next write that fills its socket (or the next read) fails with ENOENT and closes it;</li>
 *   <li>known gap, io_uring only (NatSpliceTest skips it there): a reset from one side in the middle of a
 *       transfer whose reads are held back by back-pressure is sometimes not noticed, and the other side then
 *       hangs until its own timeout; the slow-reader bound also fails now and then on io_uring (it reads
 *       beyond what was asked), as it did before splice was added;</li>
 *   <li>epoll reads a half-closed socket to its end when the FIN arrives even while back-pressure holds
 *       reads (to not lose EPOLLRDHUP); what the peer had still buffered in the kernel is then held in user
 *       space — bounded by that socket's receive buffer.</li>
 * </ul>
 */
package lbd.dataplane.nat;
