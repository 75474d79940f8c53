package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import lbd.config.PropertySeed;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.table.Egress;
import org.junit.jupiter.api.Test;

/**
 * The flow table against a flood of new UDP source ports (one datagram each, as spoofed sources send): the table
 * stays at its size, allocating nothing; the flood takes the places of UDP flows of few datagrams, least recently
 * used first, and of half-open connections — never those of established TCP connections nor of UDP flows past
 * {@link FlowTable#UDP_EVICTABLE_DATAGRAMS} datagrams (IPVS's drop_entry never drops an entry of more than 8
 * packets); a real client's SYN and a new UDP client still get in during the flood.
 */
class FlowTableUdpFloodTest {

    private static final int SYN = FrameParser.TCP_SYN;
    private static final int ACK = FrameParser.TCP_ACK;
    private static final int VIP = 9;

    private final DestinationCounters tcp = new DestinationCounters();
    private final DestinationCounters udp = new DestinationCounters();
    private final Egress toUdpServer = Egress.sameLink(2);

    @Test
    void aFloodOfNewSourcePortsEvictsOnlyUdpFlowsOfFewDatagramsAndHalfOpenConnections() {
        int capacity = 1024;
        int established = 300;
        int busy = 50;
        FlowTable t = new FlowTable(capacity, 0);
        for (int client = 0; client < established; client++) {
            int e = t.insert(client, 40_000, VIP, 80, Egress.sameLink(1), tcp, 0);
            t.onPacket(e, SYN, 60, 0);
            t.onPacket(e, ACK, 52, 0);
        }
        for (int client = 0; client < busy; client++) { // a DNS resolver's long flows: past 8 datagrams each
            for (int i = 0; i <= FlowTable.UDP_EVICTABLE_DATAGRAMS; i++) {
                datagram(t, client, 53, 0);
            }
        }
        int halfOpen = t.insert(7_000_000, 40_000, VIP, 80, Egress.sameLink(1), tcp, 0);
        t.onPacket(halfOpen, SYN, 60, 0);

        // 100,000 datagrams, each from a new client address:port, over one second.
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        int flood = 100_000;
        for (int i = 0; i < flood; i++) {
            datagram(t, 1_000_000 + i / 60_000, 1024 + i % 60_000, i / 100);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;

        assertThat(t.size()).as("the table is full, not beyond").isEqualTo(capacity);
        assertThat(allocated).as("bytes allocated by 100,000 new flows").isLessThan(16 * 1024);
        int room = capacity - established - busy - 1;
        assertThat(t.halfOpenEvicted()).as("the one half-open connection, oldest").isEqualTo(1);
        assertThat(t.udpEvicted()).isEqualTo(flood - room - 1);
        for (int client = 0; client < established; client++) {
            int e = t.find(client, 40_000, VIP, 80);
            assertThat(e).as("established connection %d kept", client).isNotNegative();
            assertThat(t.state(e)).isEqualTo(TcpStates.ESTABLISHED);
        }
        for (int client = 0; client < busy; client++) {
            assertThat(find(t, client, 53)).as("busy UDP flow %d kept", client).isNotNegative();
        }
        assertThat(tcp.activeConnections()).isEqualTo(established);
        assertThat(udp.inactiveConnections()).as("UDP flows count in InActConn").isEqualTo(capacity - established);

        // During the flood, a real client's SYN gets an entry and its ACK establishes it; a new UDP client gets one.
        int real = t.insert(5_000_000, 40_000, VIP, 80, Egress.sameLink(1), tcp, 1_000);
        assertThat(real).isNotNegative();
        t.onPacket(real, SYN, 60, 1_000);
        t.onPacket(real, ACK, 52, 1_000);
        assertThat(datagram(t, 6_000_000, 5353, 1_000)).isNotNegative();
        for (int i = 0; i < 10 * capacity; i++) {
            datagram(t, 2_000_000, 1024 + i, 1_001);
        }
        assertThat(t.find(5_000_000, 40_000, VIP, 80)).isEqualTo(real);
        assertThat(t.state(real)).isEqualTo(TcpStates.ESTABLISHED);
        assertThat(t.size()).isEqualTo(capacity);
    }

    @Test
    void aFlowOfFewDatagramsThatGoesOnIsEvictedAfterTheQuieterOnes() {
        FlowTable t = new FlowTable(4, 0);
        int talking = datagram(t, 1, 1000, 0);
        datagram(t, 2, 1000, 1);
        datagram(t, 3, 1000, 2);
        datagram(t, 4, 1000, 3);
        datagram(t, 1, 1000, 4); // its second datagram: now the most recently used
        datagram(t, 5, 1000, 5); // the table is full: the least recently used goes, client 2's
        assertThat(find(t, 1, 1000)).isEqualTo(talking);
        assertThat(find(t, 2, 1000)).isNegative();
        assertThat(t.udpEvicted()).isEqualTo(1);
    }

    @Test
    void aTableFullOfEstablishedConnectionsAndBusyFlowsDropsANewFlow() {
        FlowTable t = new FlowTable(2, 0);
        int e = t.insert(1, 40_000, VIP, 80, Egress.sameLink(1), tcp, 0);
        t.onPacket(e, SYN, 60, 0);
        t.onPacket(e, ACK, 52, 0);
        for (int i = 0; i <= FlowTable.UDP_EVICTABLE_DATAGRAMS; i++) {
            datagram(t, 2, 1000, i);
        }
        assertThat(datagram(t, 3, 1000, 100)).as("nothing may be evicted").isEqualTo(-1);
        assertThat(t.size()).isEqualTo(2);
        assertThat(t.udpEvicted() + t.halfOpenEvicted()).isZero();
    }

    @Test
    void aShorterUdpTimeoutTakesEffectAtTheFlowsNextDatagram() {
        FlowTable t = new FlowTable(8, 0);
        int idle = datagram(t, 1, 1000, 0);
        int talking = datagram(t, 2, 1000, 0);
        t.setTimeouts(900_000, 120_000, 2_000); // lbadm --set 0 0 2
        datagram(t, 2, 1000, 1_000);
        t.expire(1_000 + 2_000 + 300);
        assertThat(find(t, 2, 1000)).as("timed by 2 s from its datagram at 1 s").isNegative();
        assertThat(find(t, 1, 1000)).as("no datagram since: its timer is the one it had").isEqualTo(idle);
        assertThat(talking).isNotNegative();
    }

    /** A datagram from client {@code ip}:{@code port} to VIP:53: its flow (new if need be), or -1. */
    private int datagram(FlowTable t, int ip, int port, long now) {
        int e = find(t, ip, port);
        if (e < 0) {
            e = t.adopt(FlowTable.IPV4, ip & 0xFFFF_FFFFL, port, VIP, 53, toUdpServer, udp, TcpStates.UDP,
                    now);
            if (e < 0) {
                return -1;
            }
        }
        t.onPacket(e, 0, 40, now);
        return e;
    }

    private static int find(FlowTable t, int ip, int port) {
        return t.find(FlowTable.IPV4, ip & 0xFFFF_FFFFL, port, VIP, 53, true);
    }

    // ---- against a reference model ----

    /**
     * Random datagrams (from more UDP clients than the table holds), SYNs, handshakes, closes and clock steps: the
     * table holds exactly the model's flows and connections, in the same states, with the same evictions and
     * counters. The model is the rule written plainly: one list of what may be evicted, oldest first — a half-open
     * connection from when it became half-open, a UDP flow of at most 8 datagrams from its last datagram; a full
     * table evicts the list's first, or refuses when it is empty.
     */
    @Test
    void agreesWithAReferenceModel() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(200)
                .forAll(lists().of(integers().between(0, 999)).ofSizeBetween(1, 600))
                .checkAssert(FlowTableUdpFloodTest::agreesWithTheModel);
    }

    /** A flow or connection of the model: client {@code client}, UDP or TCP. */
    private record Key(int client, boolean udp) {
    }

    private static final class Flow {
        long lastSeen;
        byte state;
        boolean shortLived;
        int datagrams;

        long deadline() {
            return lastSeen + (state == TcpStates.SYN_RECV && shortLived ? FlowTable.HALF_OPEN_UNDER_PRESSURE_MILLIS
                    : TcpStates.timeoutMillis(state));
        }
    }

    private static final class Model {
        final int capacity;
        final Map<Key, Flow> flows = new LinkedHashMap<>();
        final LinkedHashSet<Key> evictable = new LinkedHashSet<>(); // oldest first
        long halfOpenEvicted;
        long udpEvicted;

        Model(int capacity) {
            this.capacity = capacity;
        }

        boolean insert(Key k, long now) {
            if (flows.size() == capacity) {
                if (evictable.isEmpty()) {
                    return false;
                }
                Key oldest = evictable.getFirst();
                Flow f = flows.get(oldest);
                if (oldest.udp()) {
                    assertThat(f.datagrams).as("a UDP flow of few datagrams").isLessThanOrEqualTo(8);
                    udpEvicted++;
                } else {
                    assertThat(f.state).as("a half-open connection").isIn(TcpStates.NONE, TcpStates.SYN_RECV);
                    halfOpenEvicted++;
                }
                remove(oldest);
            }
            Flow f = new Flow();
            f.lastSeen = now;
            f.state = k.udp() ? TcpStates.UDP : TcpStates.NONE;
            flows.put(k, f);
            evictable.add(k);
            return true;
        }

        void datagram(Key k, long now) {
            Flow f = flows.get(k);
            f.lastSeen = now;
            f.datagrams = Math.min(127, f.datagrams + 1);
            if (evictable.remove(k) && f.datagrams <= FlowTable.UDP_EVICTABLE_DATAGRAMS) {
                evictable.add(k); // now the most recently used
            }
        }

        void segment(Key k, int tcpFlags, long now) {
            Flow f = flows.get(k);
            byte after = TcpStates.next(f.state, tcpFlags);
            f.lastSeen = now;
            if (after != f.state) {
                f.state = after;
                if (after == TcpStates.NONE || after == TcpStates.SYN_RECV) {
                    evictable.add(k); // no-op when already there: the list keeps its place
                    if (after == TcpStates.SYN_RECV) {
                        f.shortLived = flows.size() >= capacity - capacity / 4;
                    }
                } else {
                    evictable.remove(k);
                }
            }
        }

        void remove(Key k) {
            flows.remove(k);
            evictable.remove(k);
        }
    }

    private static int find(FlowTable t, Key k) {
        return k.udp() ? t.find(FlowTable.IPV4, k.client(), 7, VIP, 53, true)
                : t.find(FlowTable.IPV4, k.client(), 7, VIP, 80);
    }

    private static void agreesWithTheModel(List<Integer> ops) {
        int capacity = 16;
        DestinationCounters counters = new DestinationCounters();
        Egress out = Egress.sameLink(1);
        FlowTable t = new FlowTable(capacity, 0);
        Model model = new Model(capacity);
        long now = 0;
        int[] flags = {ACK, FrameParser.TCP_FIN | FrameParser.TCP_ACK, FrameParser.TCP_RST};
        for (int op : ops) {
            if (op >= 970) {
                now += (op - 970) * 12_000L; // up to 5.8 min at once: past the UDP timeout now and then
                t.expire(now);
                for (Key k : List.copyOf(model.flows.keySet())) {
                    long deadline = model.flows.get(k).deadline();
                    boolean present = find(t, k) >= 0;
                    if (deadline <= now - 256) {
                        assertThat(present).as("%s is past its deadline %d at %d", k, deadline, now).isFalse();
                    } else if (deadline > now) {
                        assertThat(present).as("%s is not due (%d) at %d", k, deadline, now).isTrue();
                    }
                    if (!present) {
                        model.remove(k); // due, or within the tick after: the wheel may take it either way
                    }
                }
                continue;
            }
            Key k = new Key(op % 40, op < 600); // 2.5 times the capacity, of each protocol
            int e = find(t, k);
            if (k.udp()) {
                if (e < 0) {
                    boolean taken = model.insert(k, now);
                    e = t.adopt(FlowTable.IPV4, k.client(), 7, VIP, 53, out, counters, TcpStates.UDP, now);
                    assertThat(e >= 0).as("a new flow of %s taken", k).isEqualTo(taken);
                    if (e < 0) {
                        continue;
                    }
                }
                t.onPacket(e, 0, 40, now);
                model.datagram(k, now);
            } else if (e < 0 || op % 4 == 0) {
                if (e < 0) {
                    boolean taken = model.insert(k, now);
                    e = t.insert(k.client(), 7, VIP, 80, out, counters, now);
                    assertThat(e >= 0).as("SYN of %s taken", k).isEqualTo(taken);
                    if (e < 0) {
                        continue;
                    }
                }
                t.onPacket(e, SYN, 60, now);
                model.segment(k, SYN, now);
            } else {
                int f = flags[op % 3];
                t.onPacket(e, f, 52, now);
                model.segment(k, f, now);
            }
            assertThat(t.size()).isEqualTo(model.flows.size());
            assertThat(t.halfOpenEvicted()).isEqualTo(model.halfOpenEvicted);
            assertThat(t.udpEvicted()).isEqualTo(model.udpEvicted);
            long active = 0;
            for (Map.Entry<Key, Flow> m : model.flows.entrySet()) {
                int entry = find(t, m.getKey());
                assertThat(entry).as("%s tracked", m.getKey()).isNotNegative();
                assertThat(TcpStates.name(t.state(entry))).as("%s's state", m.getKey())
                        .isEqualTo(TcpStates.name(m.getValue().state));
                active += m.getValue().state == TcpStates.ESTABLISHED ? 1 : 0;
            }
            assertThat(counters.activeConnections()).isEqualTo(active);
            assertThat(counters.inactiveConnections()).isEqualTo(model.flows.size() - active);
        }
    }
}
