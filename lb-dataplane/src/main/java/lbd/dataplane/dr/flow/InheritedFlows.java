package lbd.dataplane.dr.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import lbd.config.model.Endpoint;
import lbd.config.model.RealServerKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;

/**
 * DR connections this process did not schedule but must keep forwarding to the same real server: those a
 * stopped lbd saved ({@code cleanstop=no}), an upgrade handed over, or the active director streamed to this one
 * while it was the backup. The control plane puts them here; a DR worker takes one out the moment a packet of it
 * arrives and tracks it in its own {@link FlowTable} from then on.
 *
 * <p>Why not straight into the workers' tables: the kernel's PACKET_FANOUT flow hash decides which worker sees a
 * connection, from a key user space cannot compute (and another director's worker count and hash differ), so
 * the owner of a connection is known only when its first packet arrives here.
 *
 * <p>A connection is keyed as in a worker's table: client, VIP, ports and protocol (a TCP connection and a UDP
 * flow of the same client port and VIP:port are two).
 *
 * <p>Each entry keeps its deadline (its state's timeout after it was last seen, where it was seen); entries not
 * taken by then are dropped by {@link #expire}. Bounded: {@link #put} refuses beyond the capacity. Design as
 * {@code PersistenceTemplates}: 64 stripes, each an open-addressing table in primitive arrays (linear probing,
 * backward-shift deletion) under its own lock, held for one look-up; a worker's {@link #take} allocates nothing,
 * and costs one volatile read while the set is empty (the normal case on a director that inherited nothing).
 */
public final class InheritedFlows {

    private static final int STRIPES = 64;
    private static final int INITIAL_SLOTS = 64;

    /** What {@link #take} found: the caller's, one per worker thread. */
    public static final class Claim {
        private byte state;
        private boolean controlled;
        private RealServerKey server;
        private long deadlineMillis;

        public byte state() {
            return state;
        }

        /** A persistence template controlled the connection where it came from. */
        public boolean controlled() {
            return controlled;
        }

        public RealServerKey server() {
            return server;
        }

        public long deadlineMillis() {
            return deadlineMillis;
        }
    }

    private final Stripe[] stripes = new Stripe[STRIPES];
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;

    /** @param capacity the most connections kept (the DR workers' flow capacity together is a fair bound) */
    public InheritedFlows(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity < 1: " + capacity);
        }
        this.capacity = capacity;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    public int size() {
        return size.get();
    }

    public int capacity() {
        return capacity;
    }

    /** {@link #put(long, long, int, long, long, int, boolean, RealServerKey, byte, boolean, long)} of a TCP one. */
    public boolean put(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport,
                       RealServerKey server, byte state, boolean controlled, long deadlineMillis) {
        return put(clientHigh, clientLow, clientPort, vipHigh, vipLow, vport, false, server, state, controlled,
                deadlineMillis);
    }

    /**
     * Adds or replaces the connection (client, VIP, ports; a UDP flow when {@code udp}), to be forwarded to
     * {@code server} until {@code deadlineMillis} (monotonic). Any thread. False when the set is full and the
     * connection not in it.
     */
    public boolean put(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport,
                       boolean udp, RealServerKey server, byte state, boolean controlled, long deadlineMillis) {
        int ports = (clientPort << 16) | (vport & 0xffff);
        long h = hash(clientHigh, clientLow, vipHigh, vipLow, ports, udp);
        Stripe s = stripes[(int) (h >>> 58)];
        s.lock.lock();
        try {
            int i = s.find(clientHigh, clientLow, vipHigh, vipLow, ports, udp, h);
            if (i < 0) {
                if (size.get() >= capacity) {
                    return false;
                }
                i = s.insert(clientHigh, clientLow, vipHigh, vipLow, ports, udp, h, server);
                size.incrementAndGet();
            }
            s.servers[i] = server;
            s.states[i] = state;
            s.controlled[i] = controlled;
            s.deadlines[i] = deadlineMillis;
            return true;
        } finally {
            s.lock.unlock();
        }
    }

    /** {@link #take(long, long, int, long, long, int, boolean, long, Claim)} of a TCP connection. */
    public boolean take(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport,
                        long nowMillis, Claim out) {
        return take(clientHigh, clientLow, clientPort, vipHigh, vipLow, vport, false, nowMillis, out);
    }

    /**
     * Takes the connection (a UDP flow when {@code udp}) out, into {@code out}, if it is here and not past its
     * deadline. Any thread (a DR worker at a packet of a connection its table does not know); allocates nothing.
     */
    public boolean take(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport,
                        boolean udp, long nowMillis, Claim out) {
        if (size.get() == 0) {
            return false;
        }
        int ports = (clientPort << 16) | (vport & 0xffff);
        long h = hash(clientHigh, clientLow, vipHigh, vipLow, ports, udp);
        Stripe s = stripes[(int) (h >>> 58)];
        s.lock.lock();
        try {
            int i = s.find(clientHigh, clientLow, vipHigh, vipLow, ports, udp, h);
            if (i < 0) {
                return false;
            }
            boolean live = s.deadlines[i] > nowMillis;
            if (live) {
                out.server = s.servers[i];
                out.state = s.states[i];
                out.controlled = s.controlled[i];
                out.deadlineMillis = s.deadlines[i];
            }
            s.delete(i);
            size.decrementAndGet();
            return live;
        } finally {
            s.lock.unlock();
        }
    }

    /** Drops the connections whose deadline passed; returns how many. Control plane, now and then. */
    public int expire(long nowMillis) {
        int dropped = 0;
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                for (int i = 0; i < s.servers.length; ) {
                    if (s.servers[i] != null && s.deadlines[i] <= nowMillis) {
                        s.delete(i); // a later entry may move into i: look at it again
                        size.decrementAndGet();
                        dropped++;
                    } else {
                        i++;
                    }
                }
            } finally {
                s.lock.unlock();
            }
        }
        return dropped;
    }

    /** What {@link #forEach} shows of one connection. */
    @FunctionalInterface
    public interface Visitor {
        void visit(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport, boolean udp,
                   RealServerKey server, byte state, boolean controlled, long deadlineMillis);
    }

    /**
     * Visits every connection not yet taken (a save, or a resync to a backup: what this director inherited and
     * has not seen a packet of is still its to hand on). Walks each stripe under its lock.
     */
    public void forEach(Visitor visitor) {
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                for (int i = 0; i < s.servers.length; i++) {
                    if (s.servers[i] != null) {
                        visitor.visit(s.clientHighs[i], s.clientLows[i], s.ports[i] >>> 16, s.vipHighs[i],
                                s.vipLows[i], s.ports[i] & 0xffff, s.udps[i], s.servers[i], s.states[i],
                                s.controlled[i],
                                s.deadlines[i]);
                    }
                }
            } finally {
                s.lock.unlock();
            }
        }
    }

    /**
     * The connections waiting here as IPVS lists its table ({@code ipvsadm -Lnc}): on a backup director, those the
     * active one synchronised — IPVS's backup lists every synced connection with its state and the rest of its
     * timer (ip_vs_sync.c puts them in the connection table as they arrive) — and on any director those restored or
     * handed over that no packet has reached yet. At most {@code limit}; the total counts them all. Control plane.
     */
    public ConnectionEntries describe(int limit, long nowMillis) {
        List<ConnectionEntry> listed = new ArrayList<>(Math.min(limit, size()));
        forEach((ch, cl, cport, vh, vl, vport, udp, server, state, controlled, deadline) -> {
            if (listed.size() < limit && deadline > nowMillis) {
                listed.add(new ConnectionEntry(new Endpoint(FlowRecords.address(ch, cl), cport), server.service(),
                        server.address(), TcpStates.name(state), deadline - nowMillis));
            }
        });
        return new ConnectionEntries(listed, Math.max(size(), listed.size()));
    }

    private static long hash(long clientHigh, long clientLow, long vipHigh, long vipLow, int ports, boolean udp) {
        long h = (clientLow ^ (clientHigh * 0xD6E8FEB86659FD93L)) * 0x9E3779B97F4A7C15L
                ^ (vipLow * 0xC2B2AE3D27D4EB4FL) ^ (vipHigh * 0x165667B19E3779F9L) ^ (ports * 0x94D049BB133111EBL)
                ^ (udp ? 0x5555_0000_0000L : 0);
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return h;
    }

    /** One stripe: open addressing in parallel arrays, at most half full; a slot is used when its server is set. */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        long[] clientHighs = new long[INITIAL_SLOTS];
        long[] clientLows = new long[INITIAL_SLOTS];
        long[] vipHighs = new long[INITIAL_SLOTS];
        long[] vipLows = new long[INITIAL_SLOTS];
        int[] ports = new int[INITIAL_SLOTS];
        boolean[] udps = new boolean[INITIAL_SLOTS];
        long[] hashes = new long[INITIAL_SLOTS];
        RealServerKey[] servers = new RealServerKey[INITIAL_SLOTS];
        byte[] states = new byte[INITIAL_SLOTS];
        boolean[] controlled = new boolean[INITIAL_SLOTS];
        long[] deadlines = new long[INITIAL_SLOTS];
        int used;

        int find(long ch, long cl, long vh, long vl, int p, boolean udp, long h) {
            int mask = servers.length - 1;
            for (int i = (int) h & mask; servers[i] != null; i = (i + 1) & mask) {
                if (hashes[i] == h && clientLows[i] == cl && ports[i] == p && clientHighs[i] == ch
                        && vipLows[i] == vl && vipHighs[i] == vh && udps[i] == udp) {
                    return i;
                }
            }
            return -1;
        }

        /** A free slot for the key, taken with {@code server} (the caller sets the rest). */
        int insert(long ch, long cl, long vh, long vl, int p, boolean udp, long h, RealServerKey server) {
            if (2 * (used + 1) > servers.length) {
                grow();
            }
            int mask = servers.length - 1;
            int i = (int) h & mask;
            while (servers[i] != null) {
                i = (i + 1) & mask;
            }
            clientHighs[i] = ch;
            clientLows[i] = cl;
            vipHighs[i] = vh;
            vipLows[i] = vl;
            ports[i] = p;
            udps[i] = udp;
            hashes[i] = h;
            servers[i] = server;
            used++;
            return i;
        }

        /** Backward-shift deletion: later members of the probe run move into the hole when their home allows. */
        void delete(int i) {
            int mask = servers.length - 1;
            int j = i;
            while (true) {
                j = (j + 1) & mask;
                if (servers[j] == null) {
                    break;
                }
                int k = (int) hashes[j] & mask;
                boolean between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
                if (!between) {
                    move(j, i);
                    i = j;
                }
            }
            servers[i] = null;
            used--;
        }

        private void move(int from, int to) {
            clientHighs[to] = clientHighs[from];
            clientLows[to] = clientLows[from];
            vipHighs[to] = vipHighs[from];
            vipLows[to] = vipLows[from];
            ports[to] = ports[from];
            udps[to] = udps[from];
            hashes[to] = hashes[from];
            servers[to] = servers[from];
            states[to] = states[from];
            controlled[to] = controlled[from];
            deadlines[to] = deadlines[from];
        }

        private void grow() {
            Stripe old = copy();
            int n = servers.length * 2;
            clientHighs = new long[n];
            clientLows = new long[n];
            vipHighs = new long[n];
            vipLows = new long[n];
            ports = new int[n];
            udps = new boolean[n];
            hashes = new long[n];
            servers = new RealServerKey[n];
            states = new byte[n];
            controlled = new boolean[n];
            deadlines = new long[n];
            int mask = n - 1;
            for (int s = 0; s < old.servers.length; s++) {
                if (old.servers[s] == null) {
                    continue;
                }
                int i = (int) old.hashes[s] & mask;
                while (servers[i] != null) {
                    i = (i + 1) & mask;
                }
                clientHighs[i] = old.clientHighs[s];
                clientLows[i] = old.clientLows[s];
                vipHighs[i] = old.vipHighs[s];
                vipLows[i] = old.vipLows[s];
                ports[i] = old.ports[s];
                udps[i] = old.udps[s];
                hashes[i] = old.hashes[s];
                servers[i] = old.servers[s];
                states[i] = old.states[s];
                controlled[i] = old.controlled[s];
                deadlines[i] = old.deadlines[s];
            }
        }

        private Stripe copy() {
            Stripe c = new Stripe();
            c.clientHighs = clientHighs;
            c.clientLows = clientLows;
            c.vipHighs = vipHighs;
            c.vipLows = vipLows;
            c.ports = ports;
            c.udps = udps;
            c.hashes = hashes;
            c.servers = servers;
            c.states = states;
            c.controlled = controlled;
            c.deadlines = deadlines;
            return c;
        }
    }
}
