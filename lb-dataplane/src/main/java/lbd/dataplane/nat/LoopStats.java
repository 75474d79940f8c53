package lbd.dataplane.nat;

/**
 * One NAT event loop's cumulative admission counters, as read by {@link NatProxy#loopStats()}.
 *
 * @param loop      the loop's index (0 to event loops - 1)
 * @param accepted  client connections accepted on the loop's VIP listeners
 * @param scheduled connections given a real server (or the fallback)
 * @param refused   connections reset at once: no real server with weight > 0 and no fallback, the loop's
 *                  share of maxconns used up, or the service just removed
 * @param outOfResources accepts and sockets to real servers that failed for want of file descriptors or memory
 *                  (EMFILE, ENFILE, ENOBUFS, ENOMEM); each paused the loop's listeners for a moment
 * @param ceilingReached times the loop's listeners stopped because its share of the connection ceiling (maxconn)
 *                  was open; each time they started again when one of its connections closed
 * @param datagramsDropped UDP datagrams dropped: from a new client that got no flow (refused above), or queued
 *                  past a flow's or the VIP socket's bound because the receiving socket could not take them
 * @param proxyHeaderRejected acceptproxy=yes: connections closed because their PROXY header was malformed, absent
 *                  or not complete in time (also counted in refused)
 */
public record LoopStats(int loop, long accepted, long scheduled, long refused, long outOfResources,
                        long ceilingReached, long datagramsDropped, long proxyHeaderRejected) {

    /** Without PROXY header rejections. */
    public LoopStats(int loop, long accepted, long scheduled, long refused, long outOfResources, long ceilingReached,
                     long datagramsDropped) {
        this(loop, accepted, scheduled, refused, outOfResources, ceilingReached, datagramsDropped, 0);
    }
}
