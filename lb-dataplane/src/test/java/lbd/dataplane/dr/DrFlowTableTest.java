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
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.table.Egress;
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
        int e = t.insert(1, 1000, 9, 80, Egress.sameLink(0xabcL), counters, 0);
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
        assertThat(t.egress(e).nextHopMac()).isEqualTo(0xabcL);
    }

    @Test
    void expiresOnTheStateTimeoutAndReleasesTheCounters() {
        FlowTable t = new FlowTable(16, 0);
        int e = t.insert(1, 1000, 9, 80, Egress.sameLink(1), counters, 0);
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
        int e = t.insert(1, 1000, 9, 80, Egress.sameLink(1), counters, 0);
        t.onPacket(e, SYN, 60, 0);
        t.onPacket(e, ACK, 52, 0);
        t.onPacket(e, RST, 40, 1000);
        t.expire(1000 + TcpStates.timeoutMillis(TcpStates.CLOSE) + 1000);
        assertThat(t.size()).as("CLOSE lasts 10 s, not the 15 min of ESTABLISHED").isZero();
        assertThat(counters.inactiveConnections()).isZero();
    }

    @Test
    void ipv6ClientsAreKeyedByAllTheirBitsAndNeverMeetIpv4Ones() {
        FlowTable t = new FlowTable(16, 0);
        long net = 0xfd00_0198_0018_0000L;
        int a = t.insert(net, 1, 40000, 0, 80, Egress.sameLink(0xa), counters, 0);
        int b = t.insert(net + 1, 1, 40000, 0, 80, Egress.sameLink(0xb), counters, 0);
        int c = t.insert(net, 1, 40000, 1, 80, Egress.sameLink(0xc), counters, 0);
        int v4 = t.insert(1, 40000, 0, 80, Egress.sameLink(0xd), counters, 0);
        assertThat(List.of(a, b, c, v4)).doesNotHaveDuplicates().allMatch(e -> e >= 0);
        assertThat(t.find(net, 1, 40000, 0, 80)).isEqualTo(a);
        assertThat(t.find(net + 1, 1, 40000, 0, 80)).as("another /64").isEqualTo(b);
        assertThat(t.find(net, 1, 40000, 1, 80)).as("another VIP").isEqualTo(c);
        assertThat(t.find(net, 2, 40000, 0, 80)).isEqualTo(-1);
        assertThat(t.find(1, 40000, 0, 80)).isEqualTo(v4);
        assertThat(t.find(0, 1, 40000, 0, 80)).as("::1 is not the IPv4 client 0.0.0.1").isEqualTo(-1);
        t.remove(a);
        assertThat(t.find(net + 1, 1, 40000, 0, 80)).isEqualTo(b);
        assertThat(t.find(net, 1, 40000, 1, 80)).isEqualTo(c);
        assertThat(t.find(net, 1, 40000, 0, 80)).isEqualTo(-1);
    }

    @Test
    void refusesWhenFullOfEstablishedConnections() {
        FlowTable t = new FlowTable(2, 0);
        for (int client = 1; client <= 2; client++) {
            int e = t.insert(client, 1, 9, 80, Egress.sameLink(1), counters, 0);
            t.onPacket(e, SYN, 60, 0);
            t.onPacket(e, ACK, 52, 0);
        }
        assertThat(t.insert(3, 1, 9, 80, Egress.sameLink(1), counters, 0)).isEqualTo(-1);
        assertThat(t.halfOpenEvicted()).isZero();
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
                int n = t.insert(client, 7, 9, 80, Egress.sameLink(client), counters, 0);
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
            assertThat(t.egress(e).nextHopMac()).isEqualTo(k);
        }
        assertThat(counters.inactiveConnections()).isEqualTo(model.size());
    }

    /**
     * A burst of SYNs in one millisecond (a busy second, or a SYN flood) shares one tick of the expiry wheel:
     * every one is tracked, none expires early, and each goes at its own timeout.
     */
    @Test
    void aBurstOfSynsInOneMillisecondExpiresOnTime() {
        int burst = 100_000;
        FlowTable t = new FlowTable(2 * burst, 0); // below the pressure mark: every one keeps SYN_RECV's 60 s
        for (int i = 0; i < burst; i++) {
            int e = t.insert(i, 1000 + (i & 0x3fff), 9, 80, Egress.sameLink(1), counters, 5);
            assertThat(e).isNotNegative();
            t.onPacket(e, SYN, 60, 5);
        }
        assertThat(t.size()).isEqualTo(burst);
        long synRecv = TcpStates.timeoutMillis(TcpStates.SYN_RECV);
        assertThat(t.expire(5 + synRecv - 1)).as("none before the SYN_RECV timeout").isZero();
        assertThat(t.expire(5 + synRecv + 300)).as("all within a tick after it").isEqualTo(burst);
        assertThat(counters.inactiveConnections()).isZero();
    }

    /** After a pause longer than a whole turn of the wheel, one call expires everything that is due. */
    @Test
    void aLongPauseIsCaughtUpInOneCall() {
        FlowTable t = new FlowTable(16, 0);
        int closing = t.insert(1, 1000, 9, 80, Egress.sameLink(1), counters, 0);
        t.onPacket(closing, RST, 40, 0); // NONE's timeout
        int established = t.insert(2, 1000, 9, 80, Egress.sameLink(1), counters, 0);
        t.onPacket(established, SYN, 60, 0);
        t.onPacket(established, ACK, 52, 0);
        assertThat(t.expire(3_600_000)).isEqualTo(2);
        assertThat(t.size()).isZero();
    }

    /**
     * Random connections, packets, removals and clock steps: at any time, exactly the connections whose last
     * packet is older than their state's timeout are gone (give or take one 256 ms tick).
     */
    @Test
    void expiresExactlyWhatIsDue() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(lists().of(integers().between(0, 999)).ofSizeBetween(1, 400))
                .checkAssert(DrFlowTableTest::expiresExactlyWhatIsDue);
    }

    private static void expiresExactlyWhatIsDue(List<Integer> ops) {
        DestinationCounters counters = new DestinationCounters();
        FlowTable t = new FlowTable(128, 0); // 50 clients stay below the pressure mark (FlowTableSynFloodTest)
        Map<Integer, long[]> model = new HashMap<>(); // client -> {last packet, state}
        long now = 0;
        int[] flags = {SYN, ACK, FIN, RST};
        for (int op : ops) {
            int client = op % 50;
            if (op >= 900) {
                now += (op - 900) * 2_000L; // up to ~200 s at once: several turns of short timeouts
                t.expire(now);
                long at = now;
                model.values().removeIf(m -> m[0] + TcpStates.timeoutMillis((byte) m[1]) <= at - 256);
                for (Map.Entry<Integer, long[]> m : model.entrySet()) {
                    long[] v = m.getValue();
                    boolean due = v[0] + TcpStates.timeoutMillis((byte) v[1]) <= at;
                    if (!due) {
                        assertThat(t.find(m.getKey(), 7, 9, 80)).as("not due yet: client %d", m.getKey())
                                .isNotNegative();
                    }
                }
                for (int c = 0; c < 50; c++) {
                    if (t.find(c, 7, 9, 80) >= 0) {
                        assertThat(model).as("tracked but expired in the model: client %d", c).containsKey(c);
                    }
                }
                continue;
            }
            int e = t.find(client, 7, 9, 80);
            if (e < 0) {
                e = t.insert(client, 7, 9, 80, Egress.sameLink(client), counters, now);
                if (e < 0) {
                    continue;
                }
            }
            if (op % 17 == 0) {
                t.remove(e);
                model.remove(client);
                continue;
            }
            t.onPacket(e, flags[op % 4], 60, now);
            model.put(client, new long[] {now, t.state(e)});
        }
        t.expire(now + 3_600_000);
        assertThat(t.size()).isZero();
        assertThat(counters.activeConnections()).isZero();
        assertThat(counters.inactiveConnections()).isZero();
    }

    /** lbadm -Lc: each flow with its client, VIP, real server, IPVS state and what is left of its timeout. */
    @Test
    void describesItsFlowsAsIpvsListsThem() {
        RealServerKey rs = new RealServerKey(new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.10", 80)),
                Endpoint.of("198.18.0.21", 80));
        DestinationCounters c = new DestinationCounters(rs);
        FlowTable t = new FlowTable(16, 0);
        int client = (198 << 24) | (18 << 16) | 1;
        int vip = (198 << 24) | (18 << 16) | 10;
        int e = t.insert(client, 40000, vip, 80, Egress.sameLink(1), c, 0);
        t.onPacket(e, SYN, 60, 0);
        t.onPacket(e, ACK, 52, 1_000);
        int f = t.insert(client, 40001, vip, 80, Egress.sameLink(1), c, 0);
        t.onPacket(f, SYN, 60, 0);
        t.onPacket(f, ACK, 52, 0);
        t.onPacket(f, FIN, 52, 2_000);

        ConnectionEntries listed = t.describe(10, 61_000);
        assertThat(listed.total()).isEqualTo(2);
        assertThat(listed.listed()).containsExactlyInAnyOrder(
                new ConnectionEntry(Endpoint.of("198.18.0.1", 40000), rs.service(), rs.address(), "ESTABLISHED",
                        900_000 + 1_000 - 61_000),
                new ConnectionEntry(Endpoint.of("198.18.0.1", 40001), rs.service(), rs.address(), "FIN_WAIT",
                        120_000 + 2_000 - 61_000));
        assertThat(t.describe(1, 61_000).listed()).as("bounded by the limit").hasSize(1);
        assertThat(t.describe(1, 61_000).total()).isEqualTo(2);
    }

    /**
     * ipvsadm --set tcp tcpfin: a connection established after it gets the new ESTABLISHED timeout; one whose
     * timer was armed before finds the new value when its deadline comes (here: more time, so it lives on).
     */
    @Test
    void newTimeoutsApplyWhenAConnectionsTimerIsNextArmed() {
        FlowTable t = new FlowTable(16, 0);
        int before = t.insert(1, 1000, 9, 80, Egress.sameLink(1), counters, 0);
        t.onPacket(before, SYN, 60, 0);
        t.onPacket(before, ACK, 52, 0);
        t.setTimeouts(1_000_000, 30_000, 300_000);
        int after = t.insert(1, 1001, 9, 80, Egress.sameLink(1), counters, 0);
        t.onPacket(after, SYN, 60, 0);
        t.onPacket(after, ACK, 52, 0);
        t.onPacket(after, FIN, 52, 0);
        assertThat(t.stateTimeoutMillis(TcpStates.FIN_WAIT)).isEqualTo(30_000);
        t.expire(30_000 + 1_000);
        assertThat(t.find(1, 1001, 9, 80)).as("FIN_WAIT under the new tcpfin").isEqualTo(-1);
        t.expire(900_000 + 1_000);
        assertThat(t.find(1, 1000, 9, 80)).as("past the old 900 s: the new 1000 s holds").isEqualTo(before);
        t.expire(1_000_000 + 1_000);
        assertThat(t.find(1, 1000, 9, 80)).isEqualTo(-1);
    }

    /**
     * A UDP flow: its own key beside a TCP connection of the same client port and VIP:port, counted as InActConn
     * for its whole life (as IPVS counts UDP), never a half-open connection a SYN flood may push out, and gone after
     * the UDP timeout (300 s, or what ipvsadm --set udp says) without a datagram.
     */
    @Test
    void aUdpFlowIsKeyedApartCountedInactiveAndLivesForTheUdpTimeout() {
        FlowTable t = new FlowTable(16, 0);
        int tcp = t.insert(1, 1000, 9, 53, Egress.sameLink(1), counters, 0);
        t.onPacket(tcp, SYN, 60, 0);
        DestinationCounters udpCounters = new DestinationCounters();
        int udp = t.adopt(FlowTable.IPV4, 1, 1000, 9, 53, Egress.sameLink(2), udpCounters, TcpStates.UDP, 0);
        assertThat(udp).isNotEqualTo(tcp);
        assertThat(t.find(FlowTable.IPV4, 1, 1000, 9, 53, true)).isEqualTo(udp);
        assertThat(t.find(FlowTable.IPV4, 1, 1000, 9, 53, false)).isEqualTo(tcp);
        assertThat(t.udp(udp)).isTrue();
        assertThat(t.udp(tcp)).isFalse();
        t.onPacket(udp, 0, 80, 0);
        t.onPacket(udp, SYN | ACK | FIN, 80, 1); // a datagram has no flags; none would move it either
        assertThat(t.state(udp)).isEqualTo(TcpStates.UDP);
        assertThat(udpCounters.inactiveConnections()).isEqualTo(1);
        assertThat(udpCounters.activeConnections()).isZero();
        assertThat(udpCounters.packetsInVolatile()).isEqualTo(2);
        assertThat(t.describe(10, 1).listed()).anySatisfy(c -> assertThat(c.state()).isEqualTo("UDP"));
        t.onPacket(udp, 0, 80, 100_000);
        t.expire(300_000 + 1_000);
        assertThat(t.find(FlowTable.IPV4, 1, 1000, 9, 53, true)).as("a datagram at 100 s moved it").isEqualTo(udp);
        t.expire(400_000 + 1_000);
        assertThat(t.find(FlowTable.IPV4, 1, 1000, 9, 53, true)).isEqualTo(-1);
        assertThat(udpCounters.inactiveConnections()).isZero();
        t.setTimeouts(900_000, 120_000, 10_000);
        int next = t.adopt(FlowTable.IPV4, 1, 1001, 9, 53, Egress.sameLink(2), udpCounters, TcpStates.UDP, 500_000);
        t.expire(510_000 + 1_000);
        assertThat(t.find(FlowTable.IPV4, 1, 1001, 9, 53, true)).as("ipvsadm --set udp 10").isEqualTo(-1);
        assertThat(next).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aBackupIsToldOfAUdpFlowAtItsThirdDatagramThenOnceHalfTheUdpTimeoutPassed() {
        FlowTable t = new FlowTable(4, 0);
        List<Long> told = new ArrayList<>();
        t.changeListener((table, entry, now) -> told.add(now));
        int e = t.adopt(FlowTable.IPV4, 1, 1, 9, 53, Egress.sameLink(1), counters, TcpStates.UDP, 0);
        t.onPacket(e, 0, 80, 1);
        t.onPacket(e, 0, 80, 2);
        assertThat(told).as("two datagrams: IPVS's sync_threshold is 3").isEmpty();
        t.onPacket(e, 0, 80, 3);
        t.onPacket(e, 0, 80, 100_000);
        t.onPacket(e, 0, 80, 150_003); // half of 300 s since it was told
        assertThat(told).containsExactly(3L, 150_003L);
    }

    @Test
    void aFullTableOfBusyUdpFlowsIsNotEvictedForNewOnes() {
        FlowTable t = new FlowTable(2, 0);
        for (int port = 1; port <= 2; port++) {
            int e = t.adopt(FlowTable.IPV4, 1, port, 9, 53, Egress.sameLink(1), counters, TcpStates.UDP, 0);
            for (int i = 0; i <= FlowTable.UDP_EVICTABLE_DATAGRAMS; i++) { // past 8 datagrams: kept as IPVS keeps it
                t.onPacket(e, 0, 80, i);
            }
        }
        assertThat(t.adopt(FlowTable.IPV4, 1, 3, 9, 53, Egress.sameLink(1), counters, TcpStates.UDP, 0)).isEqualTo(-1);
        assertThat(t.insert(1, 4, 9, 80, Egress.sameLink(1), counters, 0)).isEqualTo(-1);
        assertThat(t.halfOpenEvicted() + t.udpEvicted()).isZero();
    }
}
