package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lbd.config.PropertySeed;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.dr.packet.FrameParser;
import org.junit.jupiter.api.Test;

class DrFlowTableTest {

    private static final int SYN = FrameParser.TCP_SYN;
    private static final int ACK = FrameParser.TCP_ACK;
    private static final int FIN = FrameParser.TCP_FIN | FrameParser.TCP_ACK;
    private static final int RST = FrameParser.TCP_RST;

    private final DestinationCounters counters = new DestinationCounters();

    @Test
    void followsTheClientHalfOfAConnectionAsIpvsDoes() {
        FlowTable t = new FlowTable(16, 0);
        int e = t.insert(1, 1000, 9, 80, 0xabcL, counters, 0);
        assertThat(counters.inactiveConnections()).as("scheduled: InActConn").isEqualTo(1);
        t.onPacket(e, SYN, 60, 0);
        assertThat(t.state(e)).isEqualTo(TcpStates.SYN_RECV);
        t.onPacket(e, ACK, 52, 1);
        assertThat(t.state(e)).isEqualTo(TcpStates.ESTABLISHED);
        assertThat(counters.activeConnections()).isEqualTo(1);
        assertThat(counters.inactiveConnections()).isZero();
        t.onPacket(e, FIN, 52, 2);
        assertThat(t.state(e)).isEqualTo(TcpStates.FIN_WAIT);
        assertThat(counters.activeConnections()).isZero();
        assertThat(counters.inactiveConnections()).isEqualTo(1);
        t.onPacket(e, RST, 40, 3);
        assertThat(t.state(e)).isEqualTo(TcpStates.CLOSE);
        assertThat(counters.bytesInVolatile()).isEqualTo(60 + 52 + 52 + 40);
        assertThat(counters.packetsInVolatile()).isEqualTo(4);
        assertThat(t.mac(e)).isEqualTo(0xabcL);
    }

    @Test
    void expiresOnTheStateTimeoutAndReleasesTheCounters() {
        FlowTable t = new FlowTable(16, 0);
        int e = t.insert(1, 1000, 9, 80, 1, counters, 0);
        t.onPacket(e, SYN, 60, 0);
        t.onPacket(e, ACK, 52, 0);
        assertThat(t.expire(TcpStates.timeoutMillis(TcpStates.ESTABLISHED) - 1000)).isZero();
        assertThat(t.find(1, 1000, 9, 80)).isEqualTo(e);
        // traffic moves the deadline: the timer fires, sees the later packet, and re-arms
        t.onPacket(e, ACK, 52, 600_000);
        t.expire(900_000 + 1000);
        assertThat(t.find(1, 1000, 9, 80)).as("still alive after a late packet").isEqualTo(e);
        t.expire(1_500_000 + 1000);
        assertThat(t.find(1, 1000, 9, 80)).isEqualTo(-1);
        assertThat(t.size()).isZero();
        assertThat(counters.activeConnections()).isZero();
        assertThat(counters.inactiveConnections()).isZero();
    }

    @Test
    void aCloseShortensTheTimeout() {
        FlowTable t = new FlowTable(16, 0);
        int e = t.insert(1, 1000, 9, 80, 1, counters, 0);
        t.onPacket(e, SYN, 60, 0);
        t.onPacket(e, ACK, 52, 0);
        t.onPacket(e, RST, 40, 1000);
        t.expire(1000 + TcpStates.timeoutMillis(TcpStates.CLOSE) + 1000);
        assertThat(t.size()).as("CLOSE lasts 10 s, not the 15 min of ESTABLISHED").isZero();
        assertThat(counters.inactiveConnections()).isZero();
    }

    @Test
    void refusesWhenFull() {
        FlowTable t = new FlowTable(2, 0);
        assertThat(t.insert(1, 1, 9, 80, 1, counters, 0)).isNotNegative();
        assertThat(t.insert(2, 1, 9, 80, 1, counters, 0)).isNotNegative();
        assertThat(t.insert(3, 1, 9, 80, 1, counters, 0)).isEqualTo(-1);
    }

    @Test
    void inputOnlyTransitionsMatchIpvs() {
        assertThat(TcpStates.next(TcpStates.NONE, SYN)).isEqualTo(TcpStates.SYN_RECV);
        assertThat(TcpStates.next(TcpStates.SYN_RECV, ACK)).isEqualTo(TcpStates.ESTABLISHED);
        assertThat(TcpStates.next(TcpStates.ESTABLISHED, FIN)).isEqualTo(TcpStates.FIN_WAIT);
        assertThat(TcpStates.next(TcpStates.FIN_WAIT, ACK)).isEqualTo(TcpStates.FIN_WAIT);
        assertThat(TcpStates.next(TcpStates.SYN_RECV, FIN)).isEqualTo(TcpStates.TIME_WAIT);
        assertThat(TcpStates.next(TcpStates.ESTABLISHED, RST | ACK)).as("RST wins").isEqualTo(TcpStates.CLOSE);
        assertThat(TcpStates.next(TcpStates.SYN_RECV, RST)).isEqualTo(TcpStates.SYN_RECV);
        assertThat(TcpStates.next(TcpStates.ESTABLISHED, 0)).as("no flags: no change").isEqualTo(TcpStates.ESTABLISHED);
        assertThat(TcpStates.timeoutMillis(TcpStates.ESTABLISHED)).isEqualTo(900_000);
        assertThat(TcpStates.timeoutMillis(TcpStates.FIN_WAIT)).isEqualTo(120_000);
    }

    /** Random inserts and removals agree with a HashMap (exercises probing and backward-shift deletion). */
    @Test
    void behavesLikeAMap() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(200)
                .forAll(lists().of(integers().between(0, 60)).ofSizeBetween(0, 300))
                .checkAssert(DrFlowTableTest::behavesLikeAMap);
    }

    private static void behavesLikeAMap(List<Integer> ops) {
        DestinationCounters counters = new DestinationCounters(); // fresh per example: the last check counts this example's flows only
        FlowTable t = new FlowTable(64, 0);
        Map<Integer, Integer> model = new HashMap<>();
        for (int op : ops) {
            int client = op % 40; // small key space: many collisions and repeats
            int e = t.find(client, 7, 9, 80);
            assertThat(e >= 0).isEqualTo(model.containsKey(client));
            if (e >= 0) {
                t.remove(e);
                model.remove(client);
            } else {
                int n = t.insert(client, 7, 9, 80, client, counters, 0);
                if (n >= 0) {
                    model.put(client, n);
                }
            }
            assertThat(t.size()).isEqualTo(model.size());
        }
        List<Integer> keys = new ArrayList<>(model.keySet());
        for (int k : keys) {
            int e = t.find(k, 7, 9, 80);
            assertThat(e).isEqualTo(model.get(k));
            assertThat(t.mac(e)).isEqualTo(k);
        }
        assertThat(counters.inactiveConnections()).isEqualTo(model.size());
    }
}
