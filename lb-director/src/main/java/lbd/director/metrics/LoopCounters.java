package lbd.director.metrics;

/**
 * One NAT event loop's cumulative counters.
 *
 * @param loop      the loop's index
 * @param accepted  client connections accepted on the loop's VIP listeners
 * @param scheduled connections the scheduler gave a real server (or the fallback)
 * @param refused   connections closed because no real server could take them or a maxconns cap was reached
 * @param outOfResources accepts and sockets to real servers that failed for want of file descriptors or memory
 * @param ceilingReached times the loop stopped accepting at its share of the connection ceiling (maxconn)
 * @param datagramsDropped UDP datagrams the loop dropped (no flow for a new client, or a socket's queue at its bound)
 * @param proxyHeaderRejected connections closed for a malformed, absent or late PROXY header (acceptproxy=yes)
 */
public record LoopCounters(int loop, long accepted, long scheduled, long refused, long outOfResources,
                           long ceilingReached, long datagramsDropped, long proxyHeaderRejected) {

    /** Without PROXY header rejections. */
    public LoopCounters(int loop, long accepted, long scheduled, long refused, long outOfResources,
                        long ceilingReached, long datagramsDropped) {
        this(loop, accepted, scheduled, refused, outOfResources, ceilingReached, datagramsDropped, 0);
    }
}
