package lbd.director.core;

/**
 * The NAT proxy's ceiling on open connections, as HAProxy derives its global maxconn: from the open-files limit
 * unless {@code maxconn=} says otherwise. Each proxied connection holds two descriptors (the client's and the real
 * server's); what lbd holds already (jars, logs, sockets of the control plane) and a reserve stay outside, so that
 * at the ceiling a client is never taken in without a descriptor for its real server, and health checks, lbadm
 * and metrics scrapes still get theirs.
 *
 * @param maxConnections the ceiling (at least one per loop)
 * @param fromLimit      what the open-files limit allows, the ceiling unless maxconn= is set
 * @param configured     maxconn= (0 = not set)
 * @param openFilesLimit the limit it was derived from (ulimit -n; LimitNOFILE= in a systemd unit)
 */
record ConnectionCeiling(int maxConnections, int fromLimit, int configured, long openFilesLimit) {

    /** Descriptors kept for the control plane: a health check per real server in flight, lbadm, metrics, reloads. */
    static final int RESERVED = 64;
    /**
     * Per event loop: its own descriptors (epoll or io_uring ring, eventfd, timerfd) and two for each client it
     * may accept past its share in one batch (NIO takes up to 16 per read; io_uring's multishot accept may finish
     * a few more before it is cancelled).
     */
    static final int PER_LOOP = 8 + 2 * 32;
    /** As the maxconn= directive's largest value. */
    static final int MAX = 100_000_000;

    /** The ceiling for a process with {@code openNow} of {@code openFilesLimit} descriptors in use. */
    static ConnectionCeiling of(int configured, long openFilesLimit, long openNow, int loops) {
        long available = openFilesLimit - openNow - RESERVED - (long) loops * PER_LOOP;
        int fromLimit = (int) Math.min(MAX, Math.max(loops, available / 2));
        return new ConnectionCeiling(configured > 0 ? configured : fromLimit, fromLimit, configured, openFilesLimit);
    }

    /** Whether maxconn= asks for more than the descriptors allow: lbd will run short before it reaches it. */
    boolean beyondLimit() {
        return configured > fromLimit;
    }

    /** The start-up log line: the ceiling and where it comes from. */
    String describe() {
        if (configured == 0) {
            return "lbd: at most " + maxConnections + " open connections (what the open-files limit " + openFilesLimit
                    + " allows at two descriptors each; ulimit -n, LimitNOFILE= in the unit; maxconn= lowers it)";
        }
        if (beyondLimit()) {
            return "lbd: maxconn=" + configured + " is more than the open-files limit " + openFilesLimit
                    + " allows (about " + fromLimit + " connections at two descriptors each): lbd will run short of"
                    + " descriptors before it reaches maxconn; raise LimitNOFILE= in the unit (ulimit -n) or lower"
                    + " maxconn";
        }
        return "lbd: at most " + maxConnections + " open connections (maxconn=)";
    }
}
