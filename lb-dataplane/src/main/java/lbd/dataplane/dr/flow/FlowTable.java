package lbd.dataplane.dr.flow;

import java.util.ArrayList;
import java.util.List;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.Egress;

/**
 * One DR worker's connections, keyed by (protocol, client IP, client port, VIP, virtual port): where its packets
 * go (interface, MACs, tunnel), the IPVS TCP state from the client's half (a UDP flow's is always
 * {@link TcpStates#UDP}, timed out after the UDP timeout and counted as InActConn, as IPVS counts UDP) and the
 * counters of the real server it was scheduled to. An IPv6
 * client's 128 bits are kept whole; its VIP is the directory's number for it (an IPv4 entry's client half is
 * marked with all-ones high bits, a multicast prefix no IPv6 client sends from, so the two never meet).
 *
 * <p>Entries live in parallel primitive arrays at stable indices taken from a free list; a linear-probing
 * index (with backward-shift deletion, so no tombstones) maps keys to entries. Expiry runs on a
 * {@link FlowExpiryWheel}: one deadline per connection, set at its state's timeout after the last packet; a
 * deadline that comes early (the connection saw traffic since) is moved, so a packet costs no timer operation
 * unless the state changes to a shorter timeout. Owned by one thread; allocates nothing after construction,
 * and no operation depends on how many connections share a tick (a SYN flood included).
 *
 * <p>A SYN flood (spoofed sources that never complete the handshake) must neither push out connections that
 * are established nor leave the table full of half-open ones, refusing real clients: IPVS's answer is
 * drop_entry and secure_tcp (ip_vs_ctl.c's defense_work, ip_vs_random_dropentry), which drop SYN_RECV entries
 * when memory runs low. Here, in fixed memory and O(1) per packet:
 * <ul>
 *   <li>half-open connections (NONE, or SYN_RECV: the client's SYN seen and nothing since) are kept in the
 *       order they became half-open; when the table is full, a new connection takes the place of the oldest
 *       of them ({@link #halfOpenEvicted()} counts them). Only when no half-open connection is left (every
 *       entry established or closing) is a SYN refused;</li>
 *   <li>a connection that becomes half-open while the table is at least three quarters full gets
 *       {@link #HALF_OPEN_UNDER_PRESSURE_MILLIS} instead of SYN_RECV's 60 s, so that a flood drains quickly
 *       (a real client's retransmitted SYN or its ACK arrives well within it);</li>
 *   <li>an established connection is never evicted: it leaves on its own timeout only.</li>
 * </ul>
 *
 * <p>A flood of new UDP source ports (spoofed, one datagram each) is met the same way, after IPVS's drop_entry for
 * UDP (todrop_entry: an entry that carried more than 8 packets is never dropped, one with fewer may be): a UDP flow
 * that has seen at most {@link #UDP_EVICTABLE_DATAGRAMS} datagrams from its client is evictable as a half-open
 * connection is, and among them the one whose last datagram is oldest goes first ({@link #udpEvicted()} counts
 * them); a flow past that many datagrams is kept as an established connection is. So the flood takes the places
 * of its own earlier datagrams' flows and of half-open connections, never those of established connections or
 * of busy UDP flows, and memory stays what it is. (IPVS drops such entries only once they have been idle for
 * 60 s and memory runs low; a fixed table must choose at once, and chooses the least recently used.) A UDP flow
 * gets no shorter timeout under pressure: IPVS has one UDP timeout.
 */
public final class FlowTable {

    private static final long TICK_MILLIS = 256;
    private static final int SPOKES = 1024;
    private static final int NIL = -1;
    /**
     * A UDP flow that has seen at most this many datagrams from its client may be evicted from a full table (IPVS's
     * todrop_entry never drops an entry that carried more than 8 packets).
     */
    public static final int UDP_EVICTABLE_DATAGRAMS = 8;
    /**
     * The datagram of a UDP flow at which a backup director is first told of it: IPVS's sync_threshold (3); then
     * again at a datagram once half the UDP timeout passed since it was told.
     */
    public static final int UDP_SYNC_THRESHOLD = 3;
    /** A half-open connection's timeout when it became half-open in a table at least 3/4 full. */
    public static final long HALF_OPEN_UNDER_PRESSURE_MILLIS = 5_000;

    private final int capacity;
    private final int bucketMask;
    // The entry's key hash (its low 32 bits, which hold the home bucket) << 32 | entry + 1; 0 = empty. With the hash
    // beside it, a probe passes over other keys and a deletion shifts them without reading their entries.
    private final long[] buckets;
    /** The high half of an IPv4 entry's client address (the low half holds the address). */
    public static final long IPV4 = -1L;

    private final long[] clientHigh;
    private final long[] clientLow;
    private final int[] vips; // IPv4: the VIP; IPv6: the directory's number for it
    private final int[] ports; // client port << 16 | virtual port
    private final boolean[] udp; // the flow's protocol: UDP, else TCP (part of the key)
    private final byte[] states;
    private final Egress[] egress; // where the connection's packets go, as its destination was when scheduled
    private final long[] lastSeen;
    private final DestinationCounters[] counters;
    // The persistence template that controls the connection (null: none) and the connection's handle in it.
    private final PersistenceTemplates[] templates;
    private final long[] templateHandles;
    private final byte[] templatePrefixes; // the controlling template's netmask as a prefix length (the sync's)
    private final long[] templateOut = new long[4]; // a template's network, timer and timeout, for the sync
    private final int[] free;
    private int freeTop;
    // The entries a full table may evict, oldest first — half-open connections in the order they became half-open,
    // UDP flows of at most UDP_EVICTABLE_DATAGRAMS datagrams in the order of their last one: an intrusive doubly
    // linked list (NIL-terminated).
    private final int[] evictableNext;
    private final int[] evictablePrev;
    private final boolean[] evictable;
    private int evictableOldest = NIL;
    private int evictableNewest = NIL;
    private final boolean[] shortLived; // became half-open under pressure
    private final int pressureMark;
    private long halfOpenEvicted;
    private long udpEvicted;
    private final byte[] udpDatagrams; // a UDP flow's client datagrams, up to Byte.MAX_VALUE
    private final FlowExpiryWheel wheel;
    private final FlowExpiryWheel.Expiry onExpiry = this::onExpiry;
    // Each state's timeout (ipvsadm --set changes ESTABLISHED's and FIN_WAIT's); owner thread.
    private final long[] timeouts = new long[TcpStates.count()];
    // The sync to a backup director: told of the changes it needs (see #onPacket); when each entry was last told.
    private ChangeListener changes;
    private long[] lastTold;
    // A real server's VIP and address as record halves, computed once per server (exports allocate nothing after).
    private final java.util.IdentityHashMap<RealServerKey, long[]> recordAddresses = new java.util.IdentityHashMap<>();

    /**
     * Told, on the owner thread, of each change a backup director needs to carry a connection on (IPVS's sync
     * daemon sends the same): the connection became ESTABLISHED, or moved to a closing state, or it stayed
     * ESTABLISHED for {@link #refreshMillis()} since it was last told (so the backup's timer never runs out
     * while the connection lives).
     */
    @FunctionalInterface
    public interface ChangeListener {
        void changed(FlowTable table, int entry, long nowMillis);
    }

    /**
     * @param capacity  the most connections this worker tracks; a new one beyond it takes the place of the oldest
     *                  evictable entry (half-open, or a UDP flow of few datagrams), or is dropped (counted) when
     *                  there is none
     * @param nowMillis the current monotonic time in milliseconds
     */
    public FlowTable(int capacity, long nowMillis) {
        if (capacity < 1 || capacity > (1 << 28)) {
            throw new IllegalArgumentException("flow table capacity out of range: " + capacity);
        }
        this.capacity = capacity;
        bucketMask = bucketCount(capacity) - 1;
        buckets = new long[bucketMask + 1];
        clientHigh = new long[capacity];
        clientLow = new long[capacity];
        vips = new int[capacity];
        ports = new int[capacity];
        udp = new boolean[capacity];
        states = new byte[capacity];
        egress = new Egress[capacity];
        lastSeen = new long[capacity];
        counters = new DestinationCounters[capacity];
        templates = new PersistenceTemplates[capacity];
        templateHandles = new long[capacity];
        templatePrefixes = new byte[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        freeTop = capacity;
        evictableNext = new int[capacity];
        evictablePrev = new int[capacity];
        evictable = new boolean[capacity];
        udpDatagrams = new byte[capacity];
        shortLived = new boolean[capacity];
        pressureMark = capacity - capacity / 4;
        wheel = new FlowExpiryWheel(capacity, TICK_MILLIS, SPOKES, nowMillis);
        TcpStates.timeoutsMillis(TcpStates.timeoutMillis(TcpStates.ESTABLISHED),
                TcpStates.timeoutMillis(TcpStates.FIN_WAIT), TcpStates.timeoutMillis(TcpStates.UDP), timeouts);
    }

    /**
     * The bytes of the arrays a table of {@code capacity} holds, with a backup director's sync on (compressed
     * references): {@link #ENTRY_BYTES} an entry, the expiry wheel's included, and a bucket array of at least twice
     * the capacity, rounded up to a power of two (between 16 and 32 bytes an entry).
     */
    public static long arrayBytes(int capacity) {
        return (long) capacity * ENTRY_BYTES + (long) bucketCount(capacity) * Long.BYTES;
    }

    // clientHigh, clientLow 8 each; vips, ports 4; udp, states 1; egress 4; lastSeen 8; counters, templates 4;
    // templateHandles 8; templatePrefixes 1; free, evictableNext, evictablePrev 4; evictable, udpDatagrams,
    // shortLived 1; lastTold 8 (with a sync); the wheel's next, prev, spokes 4 and deadlines 8.
    private static final int ENTRY_BYTES = 98;

    private static int bucketCount(int capacity) {
        return Integer.highestOneBit(capacity * 2 - 1) << 1;
    }

    /**
     * {@code ipvsadm --set}: the ESTABLISHED, FIN_WAIT and UDP timeouts from now on. As in IPVS, a connection's timer
     * takes the new value when it is next armed: at its next state change, or when its current deadline comes
     * and it is found to have time left (it is then given what is left under the new timeout). Owner thread.
     */
    public void setTimeouts(long tcpMillis, long tcpFinMillis, long udpMillis) {
        TcpStates.timeoutsMillis(tcpMillis, tcpFinMillis, udpMillis, timeouts);
    }

    /** Sets (or, with null, removes) the listener for changes a backup director needs; owner thread. */
    public void changeListener(ChangeListener listener) {
        if (listener != null && lastTold == null) {
            lastTold = new long[capacity];
        }
        changes = listener;
    }

    /** How often an ESTABLISHED connection with traffic is told again: half its timeout. */
    public long refreshMillis() {
        return timeouts[TcpStates.ESTABLISHED] / 2;
    }

    /** A state's timeout now, in milliseconds. */
    public long stateTimeoutMillis(byte state) {
        return timeouts[state];
    }

    public int size() {
        return capacity - freeTop;
    }

    public int capacity() {
        return capacity;
    }

    /** Half-open connections evicted so far to make room for new ones (the table was full). */
    public long halfOpenEvicted() {
        return halfOpenEvicted;
    }

    /** UDP flows of few datagrams evicted so far to make room for new ones (the table was full). */
    public long udpEvicted() {
        return udpEvicted;
    }

    /** The entry of a connection, or -1. */
    public int find(int clientIp, int clientPort, int vip, int vport) {
        return find(IPV4, clientIp & 0xffffffffL, clientPort, vip, vport);
    }

    /** The entry of an IPv6 connection, or -1; {@code vipNumber} is the directory's number for the VIP. */
    public int find(long clientHigh, long clientLow, int clientPort, int vipNumber, int vport) {
        return find(clientHigh, clientLow, clientPort, vipNumber, vport, false);
    }

    /** The entry of a TCP ({@code udp} false) or UDP flow, or -1. */
    public int find(long clientHigh, long clientLow, int clientPort, int vipNumber, int vport, boolean udp) {
        int port = (clientPort << 16) | (vport & 0xffff);
        int hash = hash(clientHigh, clientLow, vipNumber, port, udp);
        for (int b = hash & bucketMask; ; b = (b + 1) & bucketMask) {
            long slot = buckets[b];
            if (slot == 0) {
                return -1;
            }
            int e = (int) slot - 1;
            if ((int) (slot >>> 32) == hash && this.clientLow[e] == clientLow && ports[e] == port
                    && vips[e] == vipNumber && this.clientHigh[e] == clientHigh && this.udp[e] == udp) {
                return e;
            }
        }
    }

    /**
     * Tracks a new connection scheduled to a real server (state NONE, counted as InActConn as IPVS does);
     * the caller then applies the first packet with {@link #onPacket}.
     *
     * @return the entry, or -1 when the table is full of entries none of which may be evicted
     */
    public int insert(int clientIp, int clientPort, int vip, int vport, Egress out, DestinationCounters c,
                      long nowMillis) {
        return insert(IPV4, clientIp & 0xffffffffL, clientPort, vip, vport, out, c, nowMillis);
    }

    /** As above for an IPv6 connection ({@code vipNumber}: the directory's number for the VIP). */
    public int insert(long clientHigh, long clientLow, int clientPort, int vipNumber, int vport, Egress out,
                      DestinationCounters c, long nowMillis) {
        return insert(clientHigh, clientLow, clientPort, vipNumber, vport, false, out, c, nowMillis);
    }

    private int insert(long clientHigh, long clientLow, int clientPort, int vipNumber, int vport, boolean udp,
                       Egress out, DestinationCounters c, long nowMillis) {
        if (freeTop == 0) {
            if (evictableOldest == NIL) {
                return -1;
            }
            if (this.udp[evictableOldest]) {
                udpEvicted++;
            } else {
                halfOpenEvicted++;
            }
            remove(evictableOldest, nowMillis);
        }
        int e = free[--freeTop];
        int port = (clientPort << 16) | (vport & 0xffff);
        this.clientHigh[e] = clientHigh;
        this.clientLow[e] = clientLow;
        vips[e] = vipNumber;
        ports[e] = port;
        this.udp[e] = udp;
        states[e] = TcpStates.NONE;
        egress[e] = out;
        lastSeen[e] = nowMillis;
        counters[e] = c;
        int hash = hash(clientHigh, clientLow, vipNumber, port, udp);
        int b = hash & bucketMask;
        while (buckets[b] != 0) {
            b = (b + 1) & bucketMask;
        }
        buckets[b] = slot(hash, e);
        shortLived[e] = false;
        udpDatagrams[e] = 0;
        joinEvictable(e); // half-open (NONE), or a UDP flow of no datagram yet
        c.connectionScheduled();
        wheel.schedule(e, nowMillis + timeouts[TcpStates.NONE]);
        if (lastTold != null) {
            lastTold[e] = nowMillis;
        }
        return e;
    }

    /**
     * Tracks a connection scheduled elsewhere (a saved table, the active director's sync, or a mid-flow packet
     * scheduled afresh) in {@code state}, as if its last packet was now; the caller then applies the packet at
     * hand with {@link #onPacket}. Counted as IPVS counts a synced connection (ActiveConn when ESTABLISHED).
     *
     * @return the entry, or -1 when the table is full of entries none of which may be evicted
     */
    public int adopt(long clientHigh, long clientLow, int clientPort, int vipNumber, int vport, Egress out,
                     DestinationCounters c, byte state, long nowMillis) {
        int e = insert(clientHigh, clientLow, clientPort, vipNumber, vport, state == TcpStates.UDP, out, c,
                nowMillis);
        if (e < 0 || state == TcpStates.NONE) {
            return e;
        }
        states[e] = state;
        if (state == TcpStates.ESTABLISHED) {
            c.connectionEstablished();
        }
        if (!isHalfOpen(state) && state != TcpStates.UDP) {
            leaveEvictable(e);
        }
        wheel.schedule(e, nowMillis + timeoutMillis(e));
        if (changes != null && state != TcpStates.UDP) {
            // This node carries it now (taken over, or scheduled mid-flow): the peer hears of it at once. A UDP flow
            // (new, or taken over) is told as IPVS's sync tells one: at its UDP_SYNC_THRESHOLD-th datagram here.
            lastTold[e] = nowMillis;
            changes.changed(this, e, nowMillis);
        }
        return e;
    }

    /**
     * The connection was bound by a persistence template ({@link PersistenceTemplates#bind}): it is released there
     * when the entry goes, so that the template outlives it as IPVS's does.
     */
    public void controlledBy(int e, PersistenceTemplates t, long handle) {
        controlledBy(e, t, handle, 0);
    }

    /** As above, with the service's netmask as a prefix length (what the sync sends with the template). */
    public void controlledBy(int e, PersistenceTemplates t, long handle, int prefixLength) {
        templates[e] = t;
        templateHandles[e] = handle;
        templatePrefixes[e] = (byte) prefixLength;
    }

    /** A client packet of {@code ipBytes} bytes on a tracked connection: state, counters, last-seen time. */
    public void onPacket(int e, int tcpFlags, int ipBytes, long nowMillis) {
        byte before = states[e];
        if (before == TcpStates.UDP) {
            onDatagram(e, ipBytes, nowMillis);
            return;
        }
        byte after = TcpStates.next(before, tcpFlags);
        DestinationCounters c = counters[e];
        c.addIn(ipBytes, 1);
        lastSeen[e] = nowMillis;
        if (after != before) {
            states[e] = after;
            if (after == TcpStates.ESTABLISHED) {
                c.connectionEstablished();
            } else if (before == TcpStates.ESTABLISHED) {
                c.connectionClosing();
            }
            if (isHalfOpen(after)) {
                if (!evictable[e]) {
                    joinEvictable(e);
                }
                if (after == TcpStates.SYN_RECV) {
                    shortLived[e] = size() >= pressureMark;
                }
            } else if (evictable[e]) {
                leaveEvictable(e);
            }
            long deadline = nowMillis + timeoutMillis(e);
            if (deadline < wheel.deadline(e)) {
                wheel.schedule(e, deadline);
            }
        }
        if (changes != null && (after != before ? toldOnChange(after)
                : after == TcpStates.ESTABLISHED && nowMillis - lastTold[e] >= refreshMillis())) {
            lastTold[e] = nowMillis;
            changes.changed(this, e, nowMillis);
        }
    }

    /**
     * A client datagram of a UDP flow: counters, last-seen time; while the flow has seen few datagrams it stays
     * evictable, as the most recently used, and past {@link #UDP_EVICTABLE_DATAGRAMS} it is kept. The timer takes
     * a shorter UDP timeout (ipvsadm --set) now, as IPVS sets an entry's timeout at each packet. A backup is told of
     * the flow at its {@link #UDP_SYNC_THRESHOLD}th datagram, then again once half the UDP timeout has passed.
     */
    private void onDatagram(int e, int ipBytes, long nowMillis) {
        counters[e].addIn(ipBytes, 1);
        lastSeen[e] = nowMillis;
        int datagrams = udpDatagrams[e];
        if (datagrams < Byte.MAX_VALUE) {
            udpDatagrams[e] = (byte) ++datagrams;
        }
        if (evictable[e]) {
            leaveEvictable(e);
            if (datagrams <= UDP_EVICTABLE_DATAGRAMS) {
                joinEvictable(e);
            }
        }
        long deadline = nowMillis + timeouts[TcpStates.UDP];
        if (deadline < wheel.deadline(e)) {
            wheel.schedule(e, deadline);
        }
        if (changes != null && (datagrams == UDP_SYNC_THRESHOLD
                || datagrams > UDP_SYNC_THRESHOLD && nowMillis - lastTold[e] >= timeouts[TcpStates.UDP] / 2)) {
            lastTold[e] = nowMillis;
            changes.changed(this, e, nowMillis);
        }
    }

    /** The states a backup is told of when a connection enters them (IPVS's sync daemon: the same ones). */
    private static boolean toldOnChange(byte state) {
        return state == TcpStates.ESTABLISHED || state == TcpStates.FIN_WAIT || state == TcpStates.CLOSE_WAIT
                || state == TcpStates.TIME_WAIT || state == TcpStates.CLOSE;
    }

    /**
     * Writes entry {@code e} as a {@link FlowRecords} flow record at {@code at}; returns its length, 0 when the
     * entry has no real server to name (counters made without one: tests). Owner thread; allocates nothing once
     * the entry's real server was seen.
     */
    public int putRecord(java.nio.ByteBuffer b, int at, int e, long nowMillis) {
        long[] a = recordAddresses(e);
        if (a == null) {
            return 0;
        }
        int port = ports[e];
        return FlowRecords.putFlow(b, at, clientHigh[e], clientLow[e], port >>> 16, a[0], a[1], port & 0xffff, a[2],
                a[3], (int) a[4], states[e], lastSeen[e] + timeoutMillis(e) - nowMillis,
                templates[e] != null, udp[e]);
    }

    /**
     * Writes the persistence template that controls entry {@code e}, if any and still live, as a
     * {@link FlowRecords} template record at {@code at}; returns its length, 0 when there is none. Owner thread
     * (the sync sends a connection's template with it, as IPVS's sync daemon does); allocates nothing, takes the
     * template stripe's lock once.
     */
    public int putTemplateRecord(java.nio.ByteBuffer b, int at, int e, long nowMillis) {
        PersistenceTemplates t = templates[e];
        long[] a = t == null ? null : recordAddresses(e);
        if (a == null || !t.describe(templateHandles[e], nowMillis, templateOut)) {
            return 0;
        }
        boolean ipv4 = clientHigh[e] == IPV4;
        return FlowRecords.putTemplate(b, at, ipv4 ? IPV4 : templateOut[0], templateOut[1], templatePrefixes[e],
                a[0], a[1], ports[e] & 0xffff, a[2], a[3], (int) a[4], templateOut[2], templateOut[3], udp[e]);
    }

    /** Whether a persistence template controls entry {@code e}. */
    public boolean controlled(int e) {
        return templates[e] != null;
    }

    /**
     * Appends the connections from entry {@code cursor} on to {@code w} while they fit; returns the cursor to
     * continue from, or -1 when every entry was written. Owner thread (a save or a resync asks the worker, which
     * answers between two batches); allocates nothing once the real servers were seen.
     */
    public int exportTo(FlowRecords.Writer w, int cursor, long nowMillis) {
        for (int e = cursor; e < capacity; e++) {
            if (counters[e] == null) {
                continue;
            }
            long[] a = recordAddresses(e);
            if (a == null) {
                continue;
            }
            int port = ports[e];
            if (!w.flow(clientHigh[e], clientLow[e], port >>> 16, a[0], a[1], port & 0xffff, a[2], a[3],
                    (int) a[4], states[e], lastSeen[e] + timeoutMillis(e) - nowMillis, templates[e] != null,
                    udp[e])) {
                return e;
            }
        }
        return -1;
    }

    /** {VIP high, VIP low, server high, server low, server port} of an entry; null without a real server. */
    private long[] recordAddresses(int e) {
        RealServerKey server = counters[e].server();
        if (server == null) {
            return null;
        }
        long[] a = recordAddresses.get(server);
        if (a == null) {
            java.net.InetAddress vip = server.service().address().address();
            java.net.InetAddress rip = server.address().address();
            a = new long[] {FlowRecords.high(vip), FlowRecords.low(vip), FlowRecords.high(rip), FlowRecords.low(rip),
                server.address().port()};
            recordAddresses.put(server, a);
        }
        if (clientHigh[e] == IPV4 && a[1] != (vips[e] & 0xFFFF_FFFFL)) {
            // An alsolisten= VIP of the service: the entry's own VIP, not the service's.
            a = recordAddressesFor(a, vips[e]);
        }
        return a;
    }

    private final long[] alsoListen = new long[5];

    private long[] recordAddressesFor(long[] service, int vip) {
        System.arraycopy(service, 0, alsoListen, 0, 5);
        alsoListen[1] = vip & 0xFFFF_FFFFL;
        return alsoListen;
    }

    public byte state(int e) {
        return states[e];
    }

    /** Whether entry {@code e} is a UDP flow. */
    public boolean udp(int e) {
        return udp[e];
    }

    public Egress egress(int e) {
        return egress[e];
    }

    public DestinationCounters counters(int e) {
        return counters[e];
    }

    /** Stops tracking a connection now (e.g. a new SYN reuses the client port of a closed one). */
    public void remove(int e, long nowMillis) {
        wheel.cancel(e);
        release(e, nowMillis);
    }

    /** As above, at the time the connection was last seen. */
    public void remove(int e) {
        remove(e, lastSeen[e]);
    }

    /**
     * The tracked connections as IPVS lists them, at most {@code limit} (owner thread: a walk of the index, for
     * a listing, which allocates an entry per connection listed).
     */
    public ConnectionEntries describe(int limit, long nowMillis) {
        List<ConnectionEntry> listed = new ArrayList<>(Math.min(limit, size()));
        for (int b = 0; b < buckets.length && listed.size() < limit; b++) {
            if (buckets[b] == 0) {
                continue;
            }
            int e = (int) buckets[b] - 1;
            int port = ports[e];
            // The service from the real server's key (an IPv6 entry holds the directory's number for its VIP).
            RealServerKey server = counters[e].server();
            VirtualServiceKey service = server != null ? server.service() : new VirtualServiceKey(udp[e] ? Protocol.UDP : Protocol.TCP,
                    new Endpoint(Net.inet4(vips[e]), port & 0xffff));
            Endpoint destination = server != null ? server.address() : service.address();
            listed.add(new ConnectionEntry(new Endpoint(client(e), port >>> 16), service, destination,
                    TcpStates.name(states[e]), lastSeen[e] + timeoutMillis(e) - nowMillis));
        }
        return new ConnectionEntries(listed, size());
    }

    /** An entry's client address (listings). */
    private java.net.InetAddress client(int e) {
        if (clientHigh[e] == IPV4) {
            return Net.inet4((int) clientLow[e]);
        }
        byte[] a = new byte[16];
        for (int i = 0; i < 8; i++) {
            a[i] = (byte) (clientHigh[e] >>> (56 - 8 * i));
            a[i + 8] = (byte) (clientLow[e] >>> (56 - 8 * i));
        }
        try {
            return java.net.InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // 16 bytes are always an address
        }
    }

    /** Expires connections whose timeout has passed; returns how many. */
    public int expire(long nowMillis) {
        int before = size();
        wheel.expire(nowMillis, onExpiry);
        return before - size();
    }

    /** A deadline passed: the connection expires, unless it saw traffic since and has time left. */
    private void onExpiry(int e, long nowMillis) {
        long deadline = lastSeen[e] + timeoutMillis(e);
        if (deadline > nowMillis) {
            wheel.schedule(e, deadline);
        } else {
            release(e, nowMillis);
        }
    }

    private void release(int e, long nowMillis) {
        PersistenceTemplates t = templates[e];
        if (t != null) {
            t.release(templateHandles[e], nowMillis);
            templates[e] = null;
        }
        DestinationCounters c = counters[e];
        if (states[e] == TcpStates.ESTABLISHED) {
            c.activeConnectionGone();
        } else {
            c.inactiveConnectionGone();
        }
        counters[e] = null;
        egress[e] = null;
        if (evictable[e]) {
            leaveEvictable(e);
        }
        unlink(e);
        free[freeTop++] = e;
    }

    private long timeoutMillis(int e) {
        byte state = states[e];
        return state == TcpStates.SYN_RECV && shortLived[e] ? HALF_OPEN_UNDER_PRESSURE_MILLIS
                : timeouts[state];
    }

    private static boolean isHalfOpen(byte state) {
        return state == TcpStates.NONE || state == TcpStates.SYN_RECV;
    }

    /** Appends {@code e} to the half-open list as its newest member. */
    private void joinEvictable(int e) {
        evictable[e] = true;
        evictableNext[e] = NIL;
        evictablePrev[e] = evictableNewest;
        if (evictableNewest == NIL) {
            evictableOldest = e;
        } else {
            evictableNext[evictableNewest] = e;
        }
        evictableNewest = e;
    }

    private void leaveEvictable(int e) {
        evictable[e] = false;
        int before = evictablePrev[e];
        int after = evictableNext[e];
        if (before == NIL) {
            evictableOldest = after;
        } else {
            evictableNext[before] = after;
        }
        if (after == NIL) {
            evictableNewest = before;
        } else {
            evictablePrev[after] = before;
        }
    }

    private void unlink(int e) {
        int hash = hash(clientHigh[e], clientLow[e], vips[e], ports[e], udp[e]);
        long slot = slot(hash, e);
        int i = hash & bucketMask;
        while (buckets[i] != slot) {
            i = (i + 1) & bucketMask;
        }
        // Backward-shift deletion: move later members of the probe run into the hole when their home allows.
        int j = i;
        while (true) {
            j = (j + 1) & bucketMask;
            long other = buckets[j];
            if (other == 0) {
                break;
            }
            int k = (int) (other >>> 32) & bucketMask;
            boolean between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!between) {
                buckets[i] = other;
                i = j;
            }
        }
        buckets[i] = 0;
    }

    private static long slot(int hash, int e) {
        return (long) hash << 32 | (e + 1);
    }

    /** A key's hash; its low bits are the key's home bucket. */
    private static int hash(long high, long low, int vip, int port, boolean udp) {
        long h = (low ^ (high * 0xD6E8FEB86659FD93L) ^ ((long) vip << 32) ^ (udp ? 0x5555_0000_0000L : 0))
                * 0x9E3779B97F4A7C15L ^ (port * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return (int) h;
    }
}
