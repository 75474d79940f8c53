package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
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
}
