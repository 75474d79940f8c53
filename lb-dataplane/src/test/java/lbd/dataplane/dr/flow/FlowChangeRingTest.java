package lbd.dataplane.dr.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import lbd.dataplane.table.Egress;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.packet.FrameParser;
import org.junit.jupiter.api.Test;

class FlowChangeRingTest {

    private static final int VIP = 0xC612000A;
    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.10", 80));
    private final DestinationCounters server = new DestinationCounters(
            new RealServerKey(SERVICE, Endpoint.of("198.18.1.2", 80)));

    private int establish(FlowTable t, int i) {
        int e = t.insert(0xC6130000 + i, 1000, VIP, 80, Egress.sameLink(0xabc), server, 0);
        t.onPacket(e, FrameParser.TCP_SYN, 60, 0);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 1);
        return e;
    }

    @Test
    void keepsNothingUntilEnabledThenHandsOverEachChangeOnceAndCountsWhatDidNotFit() {
        FlowTable t = new FlowTable(64, 0);
        FlowChangeRing ring = new FlowChangeRing(8);
        t.changeListener(ring);
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, 4096, 0);
        establish(t, 0);
        assertThat(ring.drainTo(w)).as("off: nothing kept").isZero();
        ring.enable();
        for (int i = 1; i <= 10; i++) {
            establish(t, i);
        }
        assertThat(ring.dropped()).isEqualTo(2);
        assertThat(ring.drainTo(w)).isEqualTo(8);
        assertThat(ring.drainTo(w)).isZero();
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, w.finish())).isNull();
        int i = 1;
        while (r.next()) {
            assertThat(r.clientLow()).isEqualTo((0xC6130000L + i++) & 0xFFFF_FFFFL);
            assertThat(r.state()).isEqualTo(TcpStates.ESTABLISHED);
        }
        assertThat(i).isEqualTo(9);
        establish(t, 11);
        FlowRecords.Writer small = new FlowRecords.Writer().wrap(ByteBuffer.allocate(40), 0, 40, 0);
        assertThat(ring.drainTo(small)).as("a record that does not fit stays in the ring").isZero();
        assertThat(ring.drainTo(w.wrap(buffer, 0, 4096, 0))).isEqualTo(1);
    }

    @Test
    void aPersistentConnectionIsFollowedByItsTemplate() {
        FlowTable t = new FlowTable(64, 0);
        FlowChangeRing ring = new FlowChangeRing(8);
        t.changeListener(ring);
        ring.enable();
        lbd.dataplane.persist.PersistenceTemplates templates = new lbd.dataplane.persist.PersistenceTemplates();
        lbd.dataplane.persist.Persistence persistence = new lbd.dataplane.persist.Persistence(300_000, 24, templates);
        lbd.dataplane.persist.PersistenceTemplates.Binding binding = new lbd.dataplane.persist.PersistenceTemplates.Binding();
        persistence.bind(0xC6130105, 0, new lbd.dataplane.persist.PersistenceTemplates.Candidates() {
            public int indexOf(RealServerKey s) {
                return 0;
            }

            public int choose() {
                return 0;
            }

            public RealServerKey keyOf(int index) {
                return server.server();
            }
        }, binding);
        int e = t.insert(0xC6130105, 1000, VIP, 80, Egress.sameLink(0xabc), server, 0);
        t.controlledBy(e, templates, binding.handle(), 24);
        t.onPacket(e, FrameParser.TCP_SYN, 60, 0);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 1_000);
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, 4096, 0);
        assertThat(ring.drainTo(w)).isEqualTo(2);
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, w.finish())).isNull();
        assertThat(r.next()).isTrue();
        assertThat(r.type()).isEqualTo(FlowRecords.FLOW);
        assertThat(r.controlled()).isTrue();
        assertThat(r.next()).isTrue();
        assertThat(r.type()).isEqualTo(FlowRecords.TEMPLATE);
        assertThat(r.clientLow()).as("the client network").isEqualTo(0xC6130100L);
        assertThat(r.prefixLength()).isEqualTo(24);
        assertThat(r.timeoutMillis()).isEqualTo(300_000);
        assertThat(r.remainingMillis()).isEqualTo(300_000 - 1_000);
        assertThat(r.serverLow()).isEqualTo(0xC6120102L);
    }
}
