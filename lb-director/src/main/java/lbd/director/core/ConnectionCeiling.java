package lbd.director.core;

/**
 * The NAT proxy's ceiling on open connections, as HAProxy derives its global maxconn: from the open-files limit
 * unless {@code maxconn=} says otherwise. Each proxied connection holds two descriptors (the client's and the real
 * server's); what lbd holds already (jars, logs, sockets of the control plane) and a reserve stay outside, so that
 * at the ceiling a client is never taken in without a descriptor for its real server, and health checks, lbadm
 * and metrics scrapes still get theirs.
 *
 * <p>Where the proxy splices (epoll), each splicing direction also holds a kernel pipe, two descriptors more,
 * until its connection closes. As HAProxy's maxpipes, at most a quarter of the connections' directions splice at
 * once ({@link #maxPipes}), and their descriptors are set aside as well: without it a director full of downloads
 * ran out of descriptors at about half its ceiling. For a user without CAP_SYS_RESOURCE the pipes are also kept
 * within what the kernel gives at full size ({@code fs.pipe-user-pages-soft}, see UserPipePages).
 *
 * @param maxConnections the ceiling (at least one per loop)
 * @param fromLimit      what the open-files limit allows, the ceiling unless maxconn= is set
 * @param configured     maxconn= (0 = not set)
 * @param openFilesLimit the limit it was derived from (ulimit -n; LimitNOFILE= in a systemd unit)
 * @param splices        whether the proxy splices (and so holds pipes)
 * @param maxPipes       the most directions that splice at once; 0 when the proxy does not splice, or has no
 *                       descriptors or pipe pages to spare for it
 * @param pagesLimited   whether the user's pipe pages, not the descriptors, set {@link #maxPipes}
 */
record ConnectionCeiling(int maxConnections, int fromLimit, int configured, long openFilesLimit, boolean splices,
                         int maxPipes, boolean pagesLimited) {

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

    /**
     * The ceiling for a process with {@code openNow} of {@code openFilesLimit} descriptors in use; {@code splices}
     * when its proxy splices, with at most {@code fullSizePipes} pipes of full size for its user.
     */
    static ConnectionCeiling of(int configured, long openFilesLimit, long openNow, int loops, boolean splices,
            int fullSizePipes) {
        long available = openFilesLimit - openNow - RESERVED - (long) loops * PER_LOOP;
        // Splicing: two descriptors per connection and two per pipe for every fourth connection, 2.5 in all.
        long fromDescriptors = splices ? available * 2 / 5 : available / 2;
        int fromLimit = (int) Math.min(MAX, Math.max(loops, fromDescriptors));
        int ceiling = configured > 0 ? configured : fromLimit;
        if (!splices) {
            return new ConnectionCeiling(ceiling, fromLimit, configured, openFilesLimit, false, 0, false);
        }
        long pipes = Math.min(ceiling / 4, Math.max(0, (available - 2L * ceiling) / 2));
        boolean pagesLimited = fullSizePipes < pipes;
        return new ConnectionCeiling(ceiling, fromLimit, configured, openFilesLimit, true,
                (int) Math.min(pipes, fullSizePipes), pagesLimited);
    }

    /** Without splicing (no pipes). */
    static ConnectionCeiling of(int configured, long openFilesLimit, long openNow, int loops) {
        return of(configured, openFilesLimit, openNow, loops, false, Integer.MAX_VALUE);
    }

    /** Whether maxconn= asks for more than the descriptors allow: lbd will run short before it reaches it. */
    boolean beyondLimit() {
        return configured > fromLimit;
    }

    /** The start-up log line: the ceiling and where it comes from. */
    String describe() {
        if (configured == 0) {
            return "lbd: at most " + maxConnections + " open connections (what the open-files limit " + openFilesLimit
                    + " allows at two descriptors each" + (splices ? " and a pipe's two for every fourth" : "")
                    + "; ulimit -n, LimitNOFILE= in the unit; maxconn= lowers it)";
        }
        if (beyondLimit()) {
            return "lbd: maxconn=" + configured + " is more than the open-files limit " + openFilesLimit
                    + " allows (about " + fromLimit + " connections at two descriptors each"
                    + (splices ? " and a pipe's two for every fourth" : "") + "): lbd will run short of"
                    + " descriptors before it reaches maxconn; raise LimitNOFILE= in the unit (ulimit -n) or lower"
                    + " maxconn";
        }
        return "lbd: at most " + maxConnections + " open connections (maxconn=)";
    }

    /**
     * The start-up line on splicing, for a proxy that splices: how many directions may at once, and what limits
     * them; {@code pages} names the pipe-page limit where it applies ("fs.pipe-user-pages-soft=16384, for a user
     * without CAP_SYS_RESOURCE,").
     */
    String describePipes(String pages) {
        if (maxPipes == 0) {
            return "lbd: no zero-copy splice: " + (pagesLimited ? pages + " leaves no pipe of full size"
                    : "the open-files limit leaves no descriptors for its pipes") + "; bulk data is copied";
        }
        return "lbd: at most " + maxPipes + " connection directions splice at once, each holding a pipe ("
                + (pagesLimited ? "as many as " + pages + " allows at 64 KiB each" : "a quarter of the connections")
                + "); further bulk data is copied until one closes";
    }
}
