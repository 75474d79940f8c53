package lbd.dataplane.dr.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import lbd.dataplane.table.Egress;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.packet.FrameParser;
import org.junit.jupiter.api.Test;

class FlowTableHandOverTest {

    private static final int VIP = 0xC612000A; // 198.18.0.10
    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.10", 80));
    private final DestinationCounters server = new DestinationCounters(
            new RealServerKey(SERVICE, Endpoint.of("198.18.1.2", 80)));

    @Test
    void exportedConnectionsAreAdoptedWithTheirStatesInChunksOfAnySize() {
        FlowTable from = new FlowTable(64, 0);
        for (int i = 0; i < 40; i++) {
            int e = from.insert(0xC6130000 + i, 1000 + i, VIP, 80, Egress.sameLink(0xabc), server, 0);
            from.onPacket(e, FrameParser.TCP_SYN, 60, 0);
            if (i % 2 == 0) {
                from.onPacket(e, FrameParser.TCP_ACK, 52, 10);
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate(400); // a handful of records per message
        FlowRecords.Writer w = new FlowRecords.Writer();
        FlowRecords.Reader r = new FlowRecords.Reader();
        DestinationCounters adopted = new DestinationCounters(server.server());
        FlowTable to = new FlowTable(64, 5_000);
        List<String> seen = new ArrayList<>();
        int cursor = 0;
        int messages = 0;
        while (cursor >= 0) {
            w.wrap(buffer, 0, buffer.capacity(), 0);
            cursor = from.exportTo(w, cursor, 20);
            assertThat(r.wrap(buffer, 0, w.finish())).isNull();
            messages++;
            while (r.next()) {
                assertThat(r.vipLow()).isEqualTo(VIP & 0xFFFF_FFFFL);
                assertThat(FlowRecords.address(r.serverHigh(), r.serverLow()).getHostAddress()).isEqualTo("198.18.1.2");
                assertThat(r.remainingMillis()).isEqualTo(TcpStates.timeoutMillis(r.state())
                        - (r.state() == TcpStates.ESTABLISHED ? 10 : 20));
                int e = to.adopt(r.clientHigh(), r.clientLow(), r.clientPort(), (int) r.vipLow(), r.virtualPort(),
                        Egress.sameLink(0xdef),
                        adopted, r.state(), 5_000);
                seen.add(TcpStates.name(to.state(e)));
            }
        }
        assertThat(messages).isGreaterThan(3);
        assertThat(seen).hasSize(40);
        assertThat(seen.stream().filter("ESTABLISHED"::equals)).hasSize(20);
        assertThat(adopted.activeConnections()).isEqualTo(20);
        assertThat(adopted.inactiveConnections()).isEqualTo(20);
        int e = to.find(0xC6130000 + 4, 1004, VIP, 80);
        assertThat(to.egress(e).nextHopMac()).isEqualTo(0xdef);
        assertThat(to.state(e)).isEqualTo(TcpStates.ESTABLISHED);
        to.onPacket(e, FrameParser.TCP_ACK, 52, 5_001);
        assertThat(to.state(e)).as("an adopted connection carries on").isEqualTo(TcpStates.ESTABLISHED);
    }

    @Test
    void aUdpFlowIsExportedMarkedAsUdpWithWhatIsLeftOfTheUdpTimeout() {
        FlowTable from = new FlowTable(8, 0);
        VirtualServiceKey dns = new VirtualServiceKey(Protocol.UDP, Endpoint.of("198.18.0.10", 53));
        DestinationCounters c = new DestinationCounters(new RealServerKey(dns, Endpoint.of("198.18.1.2", 53)));
        int e = from.adopt(FlowTable.IPV4, 0xC6130001L, 4000, VIP, 53, Egress.sameLink(0xabc), c, TcpStates.UDP, 0);
        from.onPacket(e, 0, 80, 1_000);
        ByteBuffer buffer = ByteBuffer.allocate(400);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, buffer.capacity(), 0);
        assertThat(from.exportTo(w, 0, 3_000)).isEqualTo(-1);
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, w.finish())).isNull();
        assertThat(r.next()).isTrue();
        assertThat(r.udp()).isTrue();
        assertThat(r.state()).isEqualTo(TcpStates.UDP);
        assertThat(r.virtualPort()).isEqualTo(53);
        assertThat(r.remainingMillis()).isEqualTo(300_000 - 2_000);
        assertThat(r.next()).isFalse();
    }

    @Test
    void theTemplateOfAPersistentUdpFlowIsWrittenAsAUdpServicesTemplate() {
        FlowTable t = new FlowTable(8, 0);
        VirtualServiceKey dns = new VirtualServiceKey(Protocol.UDP, Endpoint.of("198.18.0.10", 53));
        RealServerKey rs = new RealServerKey(dns, Endpoint.of("198.18.1.2", 53));
        DestinationCounters c = new DestinationCounters(rs);
        lbd.dataplane.persist.PersistenceTemplates templates = new lbd.dataplane.persist.PersistenceTemplates();
        templates.adopt(0, 0xC6130000L, rs, 0, 300_000, 300_000);
        long handle = templates.join(0, 0xC6130000L, 0);
        int e = t.adopt(FlowTable.IPV4, 0xC6130001L, 4000, VIP, 53, Egress.sameLink(0xabc), c, TcpStates.UDP, 0);
        t.controlledBy(e, templates, handle, 24);
        ByteBuffer buffer = ByteBuffer.allocate(400);
        int length = t.putRecord(buffer, FlowRecords.HEADER_LENGTH, e, 0);
        length += t.putTemplateRecord(buffer, FlowRecords.HEADER_LENGTH + length, e, 0);
        FlowRecords.putHeader(buffer, 0, 2, FlowRecords.HEADER_LENGTH + length, 0);
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, FlowRecords.HEADER_LENGTH + length)).isNull();
        assertThat(r.next()).isTrue();
        assertThat(r.udp()).isTrue();
        assertThat(r.controlled()).isTrue();
        assertThat(r.next()).isTrue();
        assertThat(r.type()).isEqualTo(FlowRecords.TEMPLATE);
        assertThat(r.udp()).as("the template of a UDP service").isTrue();
        assertThat(r.prefixLength()).isEqualTo(24);
        assertThat(handle).isNotEqualTo(lbd.dataplane.persist.PersistenceTemplates.NO_TEMPLATE);
    }

    @Test
    void aBackupIsToldWhenAConnectionIsEstablishedClosesOrHasLivedHalfItsTimeout() {
        FlowTable t = new FlowTable(8, 0);
        List<Long> told = new ArrayList<>();
        t.changeListener((table, entry, now) -> told.add(now));
        int e = t.insert(0xC6130001, 1000, VIP, 80, Egress.sameLink(0xabc), server, 0);
        t.onPacket(e, FrameParser.TCP_SYN, 60, 0);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 1);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 2);
        long half = t.refreshMillis();
        t.onPacket(e, FrameParser.TCP_ACK, 52, 1 + half - 1);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 1 + half);
        t.onPacket(e, FrameParser.TCP_FIN | FrameParser.TCP_ACK, 52, 2 + half);
        assertThat(told).containsExactly(1L, 1 + half, 2 + half);
    }

    @Test
    void aConnectionTakenOverIsToldAtOnceSoThatThePeerKnowsWhoCarriesItNow() {
        FlowTable t = new FlowTable(8, 0);
        List<Long> told = new ArrayList<>();
        t.changeListener((table, entry, now) -> told.add(now));
        int e = t.adopt(FlowTable.IPV4, 0xC6130001L, 1000, VIP, 80, Egress.sameLink(0xabc), server,
                TcpStates.ESTABLISHED, 7);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 8);
        assertThat(told).containsExactly(7L);
    }
}
