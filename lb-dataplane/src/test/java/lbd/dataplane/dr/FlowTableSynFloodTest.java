package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

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
 * The flow table's defence against a SYN flood through the gate path: a full table makes room by evicting its
 * oldest half-open connection, never an established one; a connection that becomes half-open in a table at
 * least 3/4 full lasts {@link FlowTable#HALF_OPEN_UNDER_PRESSURE_MILLIS}, not SYN_RECV's 60 s.
 */
class FlowTableSynFloodTest {

    private static final int SYN = FrameParser.TCP_SYN;
    private static final int ACK = FrameParser.TCP_ACK;
    private static final int FIN = FrameParser.TCP_FIN | FrameParser.TCP_ACK;
    private static final int RST = FrameParser.TCP_RST;
    private static final int VIP = 9;

    private final DestinationCounters counters = new DestinationCounters();

    @Test
    void aFloodOfSpoofedSynsLeavesEstablishedConnectionsAndRoomForARealClient() {
        int capacity = 1024;
        int established = 300;
        FlowTable t = new FlowTable(capacity, 0);
        for (int client = 0; client < established; client++) {
            int e = t.insert(client, 40_000, VIP, 80, Egress.sameLink(1), counters, 0);
            t.onPacket(e, SYN, 60, 0);
            t.onPacket(e, ACK, 52, 0);
        }
        // 100,000 SYNs from spoofed sources that never answer, over one second.
        int flood = 100_000;
        for (int i = 0; i < flood; i++) {
            syn(t, 1_000_000 + i, i / 100);
        }
        assertThat(t.size()).as("the table is full, not beyond").isEqualTo(capacity);
        assertThat(t.halfOpenEvicted()).isEqualTo(flood - (capacity - established));
        for (int client = 0; client < established; client++) {
            int e = t.find(client, 40_000, VIP, 80);
            assertThat(e).as("established connection %d kept", client).isNotNegative();
            assertThat(t.state(e)).isEqualTo(TcpStates.ESTABLISHED);
        }
        assertThat(counters.activeConnections()).isEqualTo(established);

        // A real client in the middle of the flood: its SYN gets an entry, its ACK establishes it, and the
        // flood that goes on cannot take it away.
        int real = syn(t, 5_000_000, 1_000);
        assertThat(real).isNotNegative();
        t.onPacket(real, ACK, 52, 1_001);
        for (int i = 0; i < 10 * capacity; i++) {
            syn(t, 2_000_000 + i, 1_002);
        }
        assertThat(t.find(5_000_000, 40_000, VIP, 80)).isEqualTo(real);
        assertThat(t.state(real)).isEqualTo(TcpStates.ESTABLISHED);

        // The flood's half-open entries went in under pressure: they are gone within a few seconds, the
        // established ones stay.
        t.expire(1_002 + FlowTable.HALF_OPEN_UNDER_PRESSURE_MILLIS + 300);
        assertThat(t.size()).isEqualTo(established + 1);
        assertThat(counters.inactiveConnections()).isZero();
    }

    @Test
    void halfOpenConnectionsGetAShortTimeoutOnlyOnceTheTableIsThreeQuartersFull() {
        FlowTable t = new FlowTable(16, 0); // the mark: 12 entries
        for (int client = 0; client < 16; client++) {
            syn(t, client, 0);
        }
        t.expire(FlowTable.HALF_OPEN_UNDER_PRESSURE_MILLIS + 300);
        assertThat(t.size()).as("the 11 that became half-open below the mark keep 60 s").isEqualTo(11);
        for (int client = 0; client < 11; client++) {
            assertThat(t.find(client, 40_000, VIP, 80)).isNotNegative();
        }
        t.expire(TcpStates.timeoutMillis(TcpStates.SYN_RECV) + 300);
        assertThat(t.size()).isZero();
    }

    @Test
    void aShortLivedHalfOpenConnectionThatCompletesItsHandshakeGetsTheEstablishedTimeout() {
        FlowTable t = new FlowTable(4, 0); // the mark: 3 entries
        for (int client = 0; client < 4; client++) {
            syn(t, client, 0);
        }
        int e = t.find(3, 40_000, VIP, 80);
        t.onPacket(e, ACK, 52, 1_000);
        t.expire(1_000 + TcpStates.timeoutMillis(TcpStates.SYN_RECV) + 300);
        assertThat(t.find(3, 40_000, VIP, 80)).isEqualTo(e);
        assertThat(t.size()).isEqualTo(1);
    }

    /** A SYN from {@code client}: a new entry (possibly evicting) and its first packet; the entry or -1. */
    private int syn(FlowTable t, int client, long now) {
        int e = t.insert(client, 40_000, VIP, 80, Egress.sameLink(1), counters, now);
        if (e >= 0) {
            t.onPacket(e, SYN, 60, now);
        }
        return e;
    }

    // ---- against a reference model ----

    /**
     * Random SYNs (from more clients than the table holds), handshakes, closes and clock steps: the table holds
     * exactly the model's connections, in the same states, with the same evictions and counters. The model is
     * the rule written plainly: half-open connections in a list in the order they became half-open; a full
     * table evicts the list's first, or refuses when it is empty; the short timeout for a connection that became
     * SYN_RECV in a table at least 3/4 full.
     */
    @Test
    void agreesWithAReferenceModel() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(200)
                .forAll(lists().of(integers().between(0, 999)).ofSizeBetween(1, 500))
                .checkAssert(FlowTableSynFloodTest::agreesWithTheModel);
    }

    private static final class Flow {
        long lastSeen;
        byte state = TcpStates.NONE;
        boolean shortLived;

        long deadline() {
            return lastSeen + (state == TcpStates.SYN_RECV && shortLived ? FlowTable.HALF_OPEN_UNDER_PRESSURE_MILLIS
                    : TcpStates.timeoutMillis(state));
        }
    }

    private static final class Model {
        final int capacity;
        final Map<Integer, Flow> flows = new LinkedHashMap<>();
        final LinkedHashSet<Integer> halfOpen = new LinkedHashSet<>(); // oldest first
        long evicted;

        Model(int capacity) {
            this.capacity = capacity;
        }

        /** Whether the SYN of a new connection from {@code client} is taken. */
        boolean insert(int client, long now) {
            if (flows.size() == capacity) {
                if (halfOpen.isEmpty()) {
                    return false;
                }
                Integer oldest = halfOpen.getFirst();
                assertThat(flows.get(oldest).state).as("only a half-open connection is evicted")
                        .isIn(TcpStates.NONE, TcpStates.SYN_RECV);
                remove(oldest);
                evicted++;
            }
            Flow f = new Flow();
            f.lastSeen = now;
            flows.put(client, f);
            halfOpen.add(client);
            return true;
        }

        void packet(int client, int tcpFlags, long now) {
            Flow f = flows.get(client);
            byte after = TcpStates.next(f.state, tcpFlags);
            f.lastSeen = now;
            if (after != f.state) {
                f.state = after;
                boolean half = after == TcpStates.NONE || after == TcpStates.SYN_RECV;
                if (half) {
                    halfOpen.add(client); // no-op when already there: the list keeps its place
                    if (after == TcpStates.SYN_RECV) {
                        f.shortLived = flows.size() >= capacity - capacity / 4;
                    }
                } else {
                    halfOpen.remove(client);
                }
            }
        }

        void remove(int client) {
            flows.remove(client);
            halfOpen.remove(client);
        }
    }

    private static void agreesWithTheModel(List<Integer> ops) {
        int capacity = 16;
        DestinationCounters counters = new DestinationCounters();
        FlowTable t = new FlowTable(capacity, 0);
        Model model = new Model(capacity);
        long now = 0;
        int[] flags = {ACK, FIN, RST};
        for (int op : ops) {
            int client = op % 40; // 2.5 times the capacity
            if (op >= 950) {
                now += (op - 950) * 500L; // up to 25 s at once: past the short timeout, within SYN_RECV's
                t.expire(now);
                long at = now;
                for (Integer c : List.copyOf(model.flows.keySet())) {
                    long deadline = model.flows.get(c).deadline();
                    boolean present = t.find(c, 7, VIP, 80) >= 0;
                    if (deadline <= at - 256) {
                        assertThat(present).as("client %d is past its deadline %d at %d", c, deadline, at).isFalse();
                    } else if (deadline > at) {
                        assertThat(present).as("client %d is not due (%d) at %d", c, deadline, at).isTrue();
                    }
                    if (!present) {
                        model.remove(c); // due, or within the tick after: the wheel may take it either way
                    }
                }
            } else {
                int e = t.find(client, 7, VIP, 80);
                if (e < 0 || op % 4 == 0) {
                    if (e < 0) {
                        boolean taken = model.insert(client, now);
                        e = t.insert(client, 7, VIP, 80, Egress.sameLink(client), counters, now);
                        assertThat(e >= 0).as("SYN from client %d taken", client).isEqualTo(taken);
                        if (e < 0) {
                            continue;
                        }
                    }
                    t.onPacket(e, SYN, 60, now);
                    model.packet(client, SYN, now);
                } else {
                    int f = flags[op % 3];
                    t.onPacket(e, f, 52, now);
                    model.packet(client, f, now);
                }
            }
            assertThat(t.size()).isEqualTo(model.flows.size());
            assertThat(t.halfOpenEvicted()).isEqualTo(model.evicted);
            long active = 0;
            for (Map.Entry<Integer, Flow> m : model.flows.entrySet()) {
                int e = t.find(m.getKey(), 7, VIP, 80);
                assertThat(e).as("client %d tracked", m.getKey()).isNotNegative();
                assertThat(TcpStates.name(t.state(e))).as("client %d's state", m.getKey())
                        .isEqualTo(TcpStates.name(m.getValue().state));
                active += m.getValue().state == TcpStates.ESTABLISHED ? 1 : 0;
            }
            assertThat(counters.activeConnections()).isEqualTo(active);
            assertThat(counters.inactiveConnections()).isEqualTo(model.flows.size() - active);
        }
    }
}
