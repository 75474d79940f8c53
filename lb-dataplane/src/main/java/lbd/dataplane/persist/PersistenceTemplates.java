package lbd.dataplane.persist;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import lbd.config.model.RealServerKey;

/**
 * The persistence templates of one virtual service, shared by every NAT event loop and DR worker: which real
 * server each client network (the client's address under the service's netmask) is bound to, as IPVS's templates
 * in its connection table.
 *
 * <p>Semantics (the kernel's {@code ip_vs_sched_persist} and {@code ip_vs_conn_expire}): a new connection from a
 * client network with a live template goes to the template's server, and re-arms the template's timer to now +
 * its timeout; without one (or with one whose server is gone), the scheduler chooses and a template is made. Each
 * connection a template sent somewhere is "controlled" by it until it ends. A template whose timer runs out while
 * it still controls connections lives on, and from then on its timeout is 60 s (IPVS re-checks it every 60 s and
 * leaves its timeout there: a later connection re-arms it for 60 s only). Packets of existing connections never
 * re-arm it. Whether the server still holds is the caller's ({@link Candidates#indexOf}): IPVS keeps a template
 * while its server is in the service, whatever its weight.
 *
 * <p>Design: 64 stripes by a hash of the client network, each a chained hash table in primitive arrays guarded
 * by its own lock. The find-or-schedule of one client network must be atomic across threads — two connections
 * of one client arriving on two cores at once must end on one server — and a stripe's lock is held only for
 * that (a few hundred nanoseconds, one client network in 64 contending). Nothing is allocated per connection:
 * entries are recycled; a stripe's arrays double only when it is full of live templates. A connection's binding
 * is a {@code long} handle (stripe, entry, generation), so a late release of a recycled entry does nothing.
 */
public final class PersistenceTemplates {

    /** No template: the connection is not controlled by one. */
    public static final long NO_TEMPLATE = -1;
    /** IPVS's timeout for a template that outlived its own while controlling connections. */
    static final long EXTENDED_TIMEOUT_MILLIS = 60_000;

    private static final int STRIPES = 64;
    private static final int INITIAL_ENTRIES = 16;

    /**
     * The caller's view of the service's current destinations (a worker's {@code ServiceSlot}): one object, so
     * that binding allocates nothing.
     */
    public interface Candidates {
        /**
         * A template's server's index among the current destinations, or -1 when the template no longer holds
         * (the server left the service, or a health check holds it down).
         */
        int indexOf(RealServerKey server);

        /** The scheduler's choice for a client network without a template: an index, or -1 when none. */
        int choose();

        /** The real server at a destination index. */
        RealServerKey keyOf(int index);
    }

    /** The outcome of {@link #bind}: the destination's index, and the handle that releases the connection. */
    public static final class Binding {
        private int index;
        private long handle;

        /** The destination chosen, -1 when none (no template, and the scheduler had none). */
        public int index() {
            return index;
        }

        /** To be passed to {@link #release} when the connection ends; {@link #NO_TEMPLATE} when not bound. */
        public long handle() {
            return handle;
        }
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    public PersistenceTemplates() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /**
     * Binds a new connection of the client network ({@code hi}, {@code lo}: the masked client address) to a real
     * server: the live template's while {@code candidates} still has it, else the scheduler's choice, which gets
     * a new template. {@code timeoutMillis} is the service's persistence timeout for a new template. Any thread;
     * {@code out} is the caller's (one per thread: nothing is allocated here).
     */
    public void bind(long hi, long lo, long nowMillis, long timeoutMillis, Candidates candidates, Binding out) {
        int s = stripe(hi, lo);
        Stripe stripe = stripes[s];
        stripe.lock.lock();
        try {
            int e = stripe.find(hi, lo, nowMillis);
            if (e >= 0) {
                int index = candidates.indexOf(stripe.servers[e]);
                if (index >= 0) {
                    stripe.reuse(e, nowMillis);
                    out.index = index;
                    out.handle = handle(s, e, stripe.generations[e]);
                    return;
                }
                stripe.orphan(e); // its server left: keeps counting its connections, never matches again
            }
            int index = candidates.choose();
            if (index < 0) {
                out.index = -1;
                out.handle = NO_TEMPLATE;
                return;
            }
            e = stripe.create(hi, lo, candidates.keyOf(index), nowMillis, timeoutMillis);
            out.index = index;
            out.handle = handle(s, e, stripe.generations[e]);
        } finally {
            stripe.lock.unlock();
        }
    }

    /** A connection bound by {@link #bind} ended. Any thread; a stale or absent handle is ignored. */
    public void release(long handle, long nowMillis) {
        if (handle == NO_TEMPLATE) {
            return;
        }
        Stripe stripe = stripes[(int) (handle >>> 26) & (STRIPES - 1)];
        stripe.lock.lock();
        try {
            stripe.release((int) handle & ((1 << 26) - 1), (int) (handle >>> 32), nowMillis);
        } finally {
            stripe.lock.unlock();
        }
    }

    /** Live templates now (listings, tests); walks every stripe under its lock. */
    public int size(long nowMillis) {
        int n = 0;
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                n += stripe.live(nowMillis);
            } finally {
                stripe.lock.unlock();
            }
        }
        return n;
    }

    /**
     * Live templates per real server now, as ipvsadm's PersistConn counts them: a template that no longer
     * matches (its server left) still counts until it dies. Walks every stripe under its lock (listings).
     */
    public Map<RealServerKey, Integer> countByServer(long nowMillis) {
        Map<RealServerKey, Integer> counts = new HashMap<>();
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                for (int e = 0; e < stripe.used.length; e++) {
                    if (stripe.used[e] && stripe.alive(e, nowMillis)) {
                        counts.merge(stripe.servers[e], 1, Integer::sum);
                    }
                }
            } finally {
                stripe.lock.unlock();
            }
        }
        return counts;
    }

    /** What {@link #forEachLive} shows of one template. */
    @FunctionalInterface
    public interface TemplateVisitor {
        /** {@code hi}, {@code lo}: the client network; {@code expiresMillis}: what is left of its timer. */
        void visit(long hi, long lo, RealServerKey server, long expiresMillis);
    }

    /**
     * Visits the live templates, at most {@code limit} of them, with what is left of each one's timer as IPVS
     * shows it: its timeout since it was last used; once that ran out while it still controlled connections, the
     * next of IPVS's 60 s re-checks. Walks every stripe under its lock (listings, never a connection's path).
     *
     * @return how many live templates there are in all
     */
    public int forEachLive(long nowMillis, int limit, TemplateVisitor visitor) {
        int live = 0;
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                for (int e = 0; e < stripe.used.length; e++) {
                    if (stripe.used[e] && stripe.alive(e, nowMillis)) {
                        if (live++ < limit) {
                            visitor.visit(stripe.his[e], stripe.los[e], stripe.servers[e],
                                    stripe.expiresIn(e, nowMillis));
                        }
                    }
                }
            } finally {
                stripe.lock.unlock();
            }
        }
        return live;
    }

    /** What {@link #forEachLiveWithTimeout} shows of one template. */
    @FunctionalInterface
    public interface ExportVisitor {
        /** As {@link TemplateVisitor#visit}, with the timeout its timer is re-armed with. */
        void visit(long hi, long lo, RealServerKey server, long expiresMillis, long timeoutMillis);
    }

    /**
     * Visits every live template with what is left of its timer and its timeout (a save, a hand-over, a resync to
     * a backup director). Walks every stripe under its lock.
     */
    public void forEachLiveWithTimeout(long nowMillis, ExportVisitor visitor) {
        for (Stripe stripe : stripes) {
            stripe.lock.lock();
            try {
                for (int e = 0; e < stripe.used.length; e++) {
                    if (stripe.used[e] && stripe.linked[e] && stripe.alive(e, nowMillis)) {
                        visitor.visit(stripe.his[e], stripe.los[e], stripe.servers[e], stripe.expiresIn(e, nowMillis),
                                stripe.timeouts[e]);
                    }
                }
            } finally {
                stripe.lock.unlock();
            }
        }
    }

    /**
     * A template made elsewhere (a saved table, an upgrade's hand-over, the active director's sync): the client
     * network goes to {@code server} for {@code remainingMillis} from now, then as a template of
     * {@code timeoutMillis}. It controls no connection yet; the connections it controlled {@link #join} it as
     * they arrive. A template the network already has here takes the new server and timer. Any thread.
     */
    public void adopt(long hi, long lo, RealServerKey server, long nowMillis, long remainingMillis, long timeoutMillis) {
        Stripe stripe = stripes[stripe(hi, lo)];
        stripe.lock.lock();
        try {
            int e = stripe.find(hi, lo, nowMillis);
            if (e < 0) {
                e = stripe.create(hi, lo, server, nowMillis, timeoutMillis);
                stripe.controlled[e] = 0;
                stripe.lastReleases[e] = nowMillis;
            } else {
                stripe.servers[e] = server;
                stripe.timeouts[e] = timeoutMillis;
            }
            stripe.expiries[e] = nowMillis + remainingMillis;
        } finally {
            stripe.lock.unlock();
        }
    }

    /**
     * A connection this template controlled where it was scheduled, now tracked here: it is controlled again, so
     * that the template outlives it, without re-arming the timer (packets of existing connections never do).
     * Returns the handle for {@link #release}, or {@link #NO_TEMPLATE} when the network has no live template.
     * Any thread; allocates nothing.
     */
    public long join(long hi, long lo, long nowMillis) {
        int s = stripe(hi, lo);
        Stripe stripe = stripes[s];
        stripe.lock.lock();
        try {
            int e = stripe.find(hi, lo, nowMillis);
            if (e < 0) {
                return NO_TEMPLATE;
            }
            stripe.controlled[e]++;
            return handle(s, e, stripe.generations[e]);
        } finally {
            stripe.lock.unlock();
        }
    }

    /**
     * The template a connection's handle names, if it is still live: into {@code out} its client network (high,
     * low), what is left of its timer and its timeout. Any thread; allocates nothing.
     */
    public boolean describe(long handle, long nowMillis, long[] out) {
        if (handle == NO_TEMPLATE) {
            return false;
        }
        Stripe stripe = stripes[(int) (handle >>> 26) & (STRIPES - 1)];
        int e = (int) handle & ((1 << 26) - 1);
        stripe.lock.lock();
        try {
            if (e >= stripe.used.length || !stripe.used[e] || stripe.generations[e] != (int) (handle >>> 32)
                    || !stripe.linked[e] || !stripe.alive(e, nowMillis)) {
                return false;
            }
            out[0] = stripe.his[e];
            out[1] = stripe.los[e];
            out[2] = stripe.expiresIn(e, nowMillis);
            out[3] = stripe.timeouts[e];
            return true;
        } finally {
            stripe.lock.unlock();
        }
    }

    /** The server a live template binds the client network to, or null (tests, listings). */
    public RealServerKey serverOf(long hi, long lo, long nowMillis) {
        Stripe stripe = stripes[stripe(hi, lo)];
        stripe.lock.lock();
        try {
            int e = stripe.find(hi, lo, nowMillis);
            return e < 0 ? null : stripe.servers[e];
        } finally {
            stripe.lock.unlock();
        }
    }

    private static long handle(int stripe, int entry, int generation) {
        return ((long) generation << 32) | ((long) stripe << 26) | entry;
    }

    private static int stripe(long hi, long lo) {
        long h = (hi * 0x9E3779B97F4A7C15L) ^ (lo * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 29;
        return (int) (h >>> 58) & (STRIPES - 1);
    }

    private static int bucketHash(long hi, long lo) {
        long h = hi * 0xBF58476D1CE4E5B9L + lo;
        h *= 0x94D049BB133111EBL;
        h ^= h >>> 31;
        return (int) h;
    }

    /** One stripe: a chained hash table whose entries are slots of parallel arrays. Guarded by {@link #lock}. */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        int[] buckets = new int[INITIAL_ENTRIES]; // entry + 1 heading the chain; 0 = empty
        int[] next = new int[INITIAL_ENTRIES]; // entry + 1; 0 = end of chain
        long[] his = new long[INITIAL_ENTRIES];
        long[] los = new long[INITIAL_ENTRIES];
        RealServerKey[] servers = new RealServerKey[INITIAL_ENTRIES];
        long[] expiries = new long[INITIAL_ENTRIES]; // when the timer runs out
        long[] timeouts = new long[INITIAL_ENTRIES];
        long[] lastReleases = new long[INITIAL_ENTRIES]; // when the last controlled connection ended
        int[] controlled = new int[INITIAL_ENTRIES];
        int[] generations = new int[INITIAL_ENTRIES];
        boolean[] linked = new boolean[INITIAL_ENTRIES]; // in a chain (false: free, or an orphan)
        boolean[] used = new boolean[INITIAL_ENTRIES];
        int[] free = new int[INITIAL_ENTRIES];
        int freeTop;

        Stripe() {
            for (int i = INITIAL_ENTRIES - 1; i >= 0; i--) {
                free[freeTop++] = i;
            }
        }

        /** The live template of the client network, or -1; unlinks and frees dead entries met on the way. */
        int find(long hi, long lo, long now) {
            int b = bucketHash(hi, lo) & (buckets.length - 1);
            int previous = -1;
            for (int e = buckets[b] - 1; e >= 0; ) {
                int after = next[e] - 1;
                if (!alive(e, now)) {
                    unlink(b, previous, e, after);
                    recycle(e);
                } else {
                    if (his[e] == hi && los[e] == lo) {
                        return e;
                    }
                    previous = e;
                }
                e = after;
            }
            return -1;
        }

        /** Live: it controls connections, or its timer (extended by 60 s steps while it did) has not run out. */
        boolean alive(int e, long now) {
            return controlled[e] > 0 || now < deadline(e);
        }

        /**
         * When the template dies with no connection left: its expiry, or — when connections outlived it — the
         * first of IPVS's 60 s re-checks after the last of them ended.
         */
        long deadline(int e) {
            long expiry = expiries[e];
            long last = lastReleases[e];
            if (last <= expiry) {
                return expiry;
            }
            long steps = (last - expiry + EXTENDED_TIMEOUT_MILLIS - 1) / EXTENDED_TIMEOUT_MILLIS;
            return expiry + steps * EXTENDED_TIMEOUT_MILLIS;
        }

        /** What is left of a live template's timer now (see forEachLive). */
        long expiresIn(int e, long now) {
            long expiry = expiries[e];
            if (now < expiry) {
                return expiry - now;
            }
            if (controlled[e] > 0) { // re-armed for 60 s at each re-check since its expiry
                long steps = (now - expiry) / EXTENDED_TIMEOUT_MILLIS + 1;
                return expiry + steps * EXTENDED_TIMEOUT_MILLIS - now;
            }
            return deadline(e) - now;
        }

        void reuse(int e, long now) {
            if (now >= expiries[e]) {
                timeouts[e] = EXTENDED_TIMEOUT_MILLIS; // its timer ran out while it controlled connections
            }
            expiries[e] = now + timeouts[e];
            controlled[e]++;
        }

        int create(long hi, long lo, RealServerKey server, long now, long timeout) {
            if (freeTop == 0) {
                sweep(now);
                if (freeTop == 0) {
                    grow();
                }
            }
            int e = free[--freeTop];
            used[e] = true;
            his[e] = hi;
            los[e] = lo;
            servers[e] = server;
            timeouts[e] = timeout;
            expiries[e] = now + timeout;
            lastReleases[e] = Long.MIN_VALUE;
            controlled[e] = 1;
            generations[e]++;
            int b = bucketHash(hi, lo) & (buckets.length - 1);
            next[e] = buckets[b];
            buckets[b] = e + 1;
            linked[e] = true;
            return e;
        }

        /** Takes a template out of its chain; it stays allocated while it controls connections. */
        void orphan(int e) {
            int b = bucketHash(his[e], los[e]) & (buckets.length - 1);
            int previous = -1;
            for (int i = buckets[b] - 1; i >= 0; i = next[i] - 1) {
                if (i == e) {
                    unlink(b, previous, e, next[e] - 1);
                    break;
                }
                previous = i;
            }
            if (controlled[e] == 0) {
                recycle(e);
            }
        }

        void release(int e, int generation, long now) {
            if (e >= used.length || !used[e] || generations[e] != generation || controlled[e] == 0) {
                return;
            }
            if (--controlled[e] == 0) {
                lastReleases[e] = now;
                if (!linked[e]) {
                    recycle(e); // an orphan's last connection
                }
            }
        }

        int live(long now) {
            int n = 0;
            for (int e = 0; e < used.length; e++) {
                if (used[e] && linked[e] && alive(e, now)) {
                    n++;
                }
            }
            return n;
        }

        private void unlink(int b, int previous, int e, int after) {
            if (previous < 0) {
                buckets[b] = after + 1;
            } else {
                next[previous] = after + 1;
            }
            next[e] = 0;
            linked[e] = false;
        }

        private void recycle(int e) {
            used[e] = false;
            servers[e] = null;
            free[freeTop++] = e;
        }

        /** Frees every dead template (a full stripe, before it grows). */
        private void sweep(long now) {
            for (int b = 0; b < buckets.length; b++) {
                int previous = -1;
                for (int e = buckets[b] - 1; e >= 0; ) {
                    int after = next[e] - 1;
                    if (!alive(e, now)) {
                        unlink(b, previous, e, after);
                        recycle(e);
                    } else {
                        previous = e;
                    }
                    e = after;
                }
            }
        }

        /** Doubles the stripe (its entries keep their numbers, so handles stay valid) and rehashes the chains. */
        private void grow() {
            int n = used.length * 2;
            if (n > (1 << 26)) {
                throw new IllegalStateException("persistence templates: a stripe is full (2^26 entries)");
            }
            int old = used.length;
            next = Arrays.copyOf(next, n);
            his = Arrays.copyOf(his, n);
            los = Arrays.copyOf(los, n);
            servers = Arrays.copyOf(servers, n);
            expiries = Arrays.copyOf(expiries, n);
            timeouts = Arrays.copyOf(timeouts, n);
            lastReleases = Arrays.copyOf(lastReleases, n);
            controlled = Arrays.copyOf(controlled, n);
            generations = Arrays.copyOf(generations, n);
            linked = Arrays.copyOf(linked, n);
            used = Arrays.copyOf(used, n);
            free = Arrays.copyOf(free, n);
            for (int e = n - 1; e >= old; e--) {
                free[freeTop++] = e;
            }
            buckets = new int[n];
            for (int e = 0; e < old; e++) {
                if (used[e] && linked[e]) {
                    int b = bucketHash(his[e], los[e]) & (n - 1);
                    next[e] = buckets[b];
                    buckets[b] = e + 1;
                }
            }
        }
    }
}
