/**
 * The NAT (masq) data plane: a user-space TCP and UDP proxy on each VIP, built on Netty 4.2.
 *
 * <p>Shape: {@link lbd.dataplane.nat.NatProxy} starts one event loop per core (io_uring, else epoll, else NIO;
 * see {@link lbd.dataplane.transport.NettyTransport}); each loop has its own SO_REUSEPORT listener on every
 * VIP:port, its own {@link lbd.dataplane.worker.WorkerState}, and keeps each client connection and its
 * connection to the real server on itself. {@link lbd.dataplane.nat.VipAcceptor} admits a connection,
 * {@link lbd.dataplane.nat.ProxiedConnection} carries it; for UDP, {@link lbd.dataplane.nat.VipDatagrams} opens a
 * {@link lbd.dataplane.nat.UdpFlow} per client address:port. Both choose the real server by one rule,
 * {@link lbd.dataplane.nat.DestinationChoice}.
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
 *   <li>idle timeout: each connection schedules its own idle check on its loop; a connection that moved bytes
 *       either way (read from either side, or spliced) within the idle period is not closed, as IPVS refreshes a
 *       connection on a packet in either direction. A truly idle connection closes within one to two
 *       periods;</li>
 *   <li>epoll half-close needs a workaround for a Netty 4.2 bug ({@link lbd.dataplane.nat.EpollInterestPin}):
 *       without it, a channel whose interest set empties after its FIN is silently removed from epoll, and the
 *       next write that fills its socket (or the next read) fails with ENOENT and closes it;</li>
 *   <li>io_uring loses a peer's reset in Netty 4.2 (its multishot POLLIN poll is edge-triggered, and a read round
 *       ends at an empty socket before the recv that would return ECONNRESET): the proxy asks for the socket's
 *       pending error after every io_uring read round ({@link lbd.dataplane.nat.IoUringResetCheck}), so a reset is
 *       passed on also while back-pressure holds reads. Not covered: a reset that follows that side's own FIN
 *       (no read is asked for after a FIN) is noticed on io_uring only when the proxy next writes there;</li>
 *   <li>the connection to a real server has a fixed 1 MiB SO_RCVBUF ({@link lbd.dataplane.nat.NatLoop}): with
 *       autotuning, one coarse round-trip sample grew it to tens of MiB, and a slow client then had up to that
 *       much of a download held for it in lbd's kernel buffers (the slow-reader bound failed now and then, on
 *       every transport). The client's side keeps autotuning;</li>
 *   <li>draining counts as traffic: at a client's FIN, Netty's io_uring reads the client's socket to its end
 *       (POLLRDHUP), and what a slow real server still has to take then drains from Netty's buffer and lbd's
 *       kernel send queue with no read on either side. The idle check therefore also looks at what waits to be
 *       sent on both channels (ChannelOutboundBuffer plus TIOCOUTQ via {@link lbd.dataplane.nat.SocketQueues}):
 *       while that amount changes between two checks, the connection is not idle (NatSpliceTest's
 *       long-upload test guards it). Not on NIO, which gives no descriptor: there only Netty's buffer is seen, and
 *       a connection whose last bytes wait in the kernel's send queue for longer than the idle timeout (a queue of
 *       up to tcp_wmem's 4 MiB to a peer slower than that) is closed as idle;</li>
 *   <li>epoll reads a half-closed socket to its end when the FIN arrives even while back-pressure holds
 *       reads (to not lose EPOLLRDHUP), and so does Netty's io_uring on POLLRDHUP (a FIN or a reset); what the
 *       peer had still buffered in the kernel is then held in user space — bounded by that socket's receive
 *       buffer.</li>
 * </ul>
 */
package lbd.dataplane.nat;
