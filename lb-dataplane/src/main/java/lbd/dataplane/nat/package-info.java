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
 *   <li>no zero-copy splice: epoll's {@code spliceTo} moves bytes past the pipeline, so the per-read byte
 *       counters, the water-mark back-pressure and the half-close/RST hand-over would all need a second,
 *       kernel-side implementation. Left out until a benchmark shows the copy matters.</li>
 *   <li>epoll reads a half-closed socket to its end when the FIN arrives even while back-pressure holds
 *       reads (to not lose EPOLLRDHUP); what the peer had still buffered in the kernel is then held in user
 *       space — bounded by that socket's receive buffer.</li>
 * </ul>
 */
package lbd.dataplane.nat;
