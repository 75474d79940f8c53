package lbd.dataplane.counter;

/**
 * Counters of one real server (or one virtual service) summed over every worker, for listings
 * ({@code lbadm -L -n}, {@code --stats}) and metrics.
 *
 * @param active      ActiveConn: connections in ESTABLISHED state
 * @param inactive    InActConn: connections in any other tracked state
 * @param connections Conns: connections scheduled since start
 * @param bytesIn     InBytes: client to server
 * @param bytesOut    OutBytes: server to client
 * @param packetsIn   InPkts
 * @param packetsOut  OutPkts
 */
public record RealServerStats(
        long active,
        long inactive,
        long connections,
        long bytesIn,
        long bytesOut,
        long packetsIn,
        long packetsOut) {

    public static final RealServerStats ZERO = new RealServerStats(0, 0, 0, 0, 0, 0, 0);

    /**
     * The cumulative counters since {@code atZero} was taken ({@code lbadm -Z}); the active and inactive
     * connection counts are states, not counters, and stay as they are. A counter below its zero point (its
     * real server was removed and its counters started again) counts from its new start.
     */
    public RealServerStats since(RealServerStats atZero) {
        return new RealServerStats(active, inactive, minus(connections, atZero.connections),
                minus(bytesIn, atZero.bytesIn), minus(bytesOut, atZero.bytesOut), minus(packetsIn, atZero.packetsIn),
                minus(packetsOut, atZero.packetsOut));
    }

    private static long minus(long now, long atZero) {
        return now >= atZero ? now - atZero : now;
    }

    /** One worker's counters, read with acquire reads (fields may be from slightly different instants). */
    public static RealServerStats of(DestinationCounters c) {
        return new RealServerStats(c.activeVolatile(), c.inactiveVolatile(), c.connectionsVolatile(),
                c.bytesInVolatile(), c.bytesOutVolatile(), c.packetsInVolatile(), c.packetsOutVolatile());
    }

    public RealServerStats plus(RealServerStats o) {
        return new RealServerStats(active + o.active, inactive + o.inactive, connections + o.connections,
                bytesIn + o.bytesIn, bytesOut + o.bytesOut, packetsIn + o.packetsIn, packetsOut + o.packetsOut);
    }
}
