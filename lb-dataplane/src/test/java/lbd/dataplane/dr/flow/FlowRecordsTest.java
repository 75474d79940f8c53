package lbd.dataplane.dr.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import lbd.config.PropertySeed;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FlowRecordsTest {

    /** One record as the test sees it: every field the format carries. */
    record Rec(int type, long ch, long cl, int cport, long vh, long vl, int vport, long sh, long sl, int sport,
               int stateOrPrefix, long remaining, long timeout, boolean controlled, boolean udp) {
    }

    private static Rec random(Random r) {
        boolean ipv4 = r.nextBoolean();
        int type = r.nextBoolean() ? FlowRecords.FLOW : FlowRecords.TEMPLATE;
        long ch = ipv4 ? FlowTable.IPV4 : r.nextLong();
        long cl = ipv4 ? r.nextLong() & 0xFFFF_FFFFL : r.nextLong();
        long vh = ipv4 ? FlowTable.IPV4 : r.nextLong();
        long vl = ipv4 ? r.nextLong() & 0xFFFF_FFFFL : r.nextLong();
        long sh = ipv4 ? FlowTable.IPV4 : r.nextLong();
        long sl = ipv4 ? r.nextLong() & 0xFFFF_FFFFL : r.nextLong();
        int state = type == FlowRecords.FLOW ? r.nextInt(TcpStates.count()) : r.nextInt(ipv4 ? 33 : 129);
        boolean udp = type == FlowRecords.FLOW ? state == TcpStates.UDP : r.nextBoolean(); // a UDP service's template
        return new Rec(type, ch, cl, type == FlowRecords.FLOW ? r.nextInt(65536) : 0, vh, vl, r.nextInt(65536), sh, sl,
                r.nextInt(65536), state, r.nextLong(FlowRecords.MAX_MILLIS + 1),
                type == FlowRecords.FLOW ? 0 : r.nextLong(FlowRecords.MAX_MILLIS + 1),
                type == FlowRecords.FLOW && r.nextBoolean(), udp);
    }

    private static boolean write(FlowRecords.Writer w, Rec x) {
        return x.type == FlowRecords.FLOW
                ? w.flow(x.ch, x.cl, x.cport, x.vh, x.vl, x.vport, x.sh, x.sl, x.sport, (byte) x.stateOrPrefix,
                        x.remaining, x.controlled, x.udp)
                : w.template(x.ch, x.cl, x.stateOrPrefix, x.vh, x.vl, x.vport, x.sh, x.sl, x.sport, x.remaining,
                        x.timeout, x.udp);
    }

    private static Rec read(FlowRecords.Reader r) {
        return new Rec(r.type(), r.clientHigh(), r.clientLow(), r.clientPort(), r.vipHigh(), r.vipLow(),
                r.virtualPort(), r.serverHigh(), r.serverLow(), r.serverPort(),
                r.type() == FlowRecords.FLOW ? r.state() : r.prefixLength(), r.remainingMillis(), r.timeoutMillis(),
                r.controlled(), r.udp());
    }

    @Test
    void everyFlowAndTemplateOfEitherFamilyReadsBackAsWritten() {
        Random random = new Random(PropertySeed.seed());
        ByteBuffer buffer = ByteBuffer.allocate(FlowRecords.MAX_MESSAGE_LENGTH);
        FlowRecords.Writer w = new FlowRecords.Writer();
        FlowRecords.Reader r = new FlowRecords.Reader();
        for (int example = 0; example < 300; example++) {
            int capacity = FlowRecords.HEADER_LENGTH + random.nextInt(4000);
            w.wrap(buffer, 0, capacity, 1_700_000_000_000L + example);
            List<Rec> written = new ArrayList<>();
            for (int n = random.nextInt(200); n > 0; n--) {
                Rec x = random(random);
                if (write(w, x)) {
                    written.add(x);
                } else {
                    assertThat(w.remaining()).as("refused only when it does not fit")
                            .isLessThan(FlowRecords.recordLength(x.ch == FlowTable.IPV4));
                }
            }
            int length = w.finish();
            assertThat(length).isLessThanOrEqualTo(capacity);
            assertThat(r.wrap(buffer, 0, length)).isNull();
            assertThat(r.length()).isEqualTo(length);
            assertThat(r.writtenAtMillis()).isEqualTo(1_700_000_000_000L + example);
            List<Rec> read = new ArrayList<>();
            while (r.next()) {
                read.add(read(r));
            }
            assertThat(read).isEqualTo(written);
        }
    }

    @Test
    void aMessageOfAnotherVersionOrWithoutTheMagicIsRefusedWithTheReason() {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, 256, 0);
        w.flow(FlowTable.IPV4, 1, 2, FlowTable.IPV4, 3, 80, FlowTable.IPV4, 4, 80, TcpStates.ESTABLISHED, 5, false);
        int length = w.finish();
        FlowRecords.Reader r = new FlowRecords.Reader();
        buffer.put(4, (byte) 2);
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("format version 2 (this lbd reads version 1)");
        assertThat(r.next()).isFalse();
        buffer.put(4, (byte) 1);
        buffer.put(0, (byte) 'X');
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("not lbd flow state (no LBDF magic)");
        buffer.put(0, (byte) 'L');
        assertThat(r.wrap(buffer, 0, length - 1)).startsWith("message length");
        buffer.put(FlowRecords.HEADER_LENGTH + 2, (byte) 99);
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("record 1 of 1: unknown TCP state 99");
    }

    /**
     * A UDP flow carries flag bit 1 and the UDP state; a reader refuses the one without the other, and a reader
     * that knew only bit 0 (the lbd before UDP flows) refused the flag as a reserved bit.
     */
    @Test
    void aUdpFlowIsMarkedAndItsFlagMustMatchItsState() {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, 256, 0);
        w.flow(FlowTable.IPV4, 1, 2, FlowTable.IPV4, 3, 53, FlowTable.IPV4, 4, 53, TcpStates.UDP, 5, true, true);
        w.flow(FlowTable.IPV4, 1, 2, FlowTable.IPV4, 3, 53, FlowTable.IPV4, 4, 53, TcpStates.ESTABLISHED, 5, false);
        int length = w.finish();
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, length)).isNull();
        assertThat(r.next()).isTrue();
        assertThat(r.udp()).isTrue();
        assertThat(r.controlled()).isTrue();
        assertThat(r.state()).isEqualTo(TcpStates.UDP);
        assertThat(r.next()).isTrue();
        assertThat(r.udp()).isFalse();
        int flags = FlowRecords.HEADER_LENGTH + 3;
        buffer.put(flags, (byte) FlowRecords.CONTROLLED);
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("record 1 of 2: a TCP flow in the UDP state");
        buffer.put(flags, (byte) (FlowRecords.UDP | FlowRecords.CONTROLLED));
        buffer.put(FlowRecords.HEADER_LENGTH + 2, TcpStates.ESTABLISHED);
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("record 1 of 2: a UDP flow in TCP state ESTABLISHED");
        buffer.put(flags, (byte) 4);
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("record 1 of 2: reserved bits set");
    }

    /**
     * A UDP service's template carries flag bit 1 too (TCP and UDP services on one VIP:port have their own
     * templates); bit 0 is never a template's. The version stays 1: a reader before UDP templates refused bit 1 on a
     * template as a reserved bit, so it leaves such a message whole rather than take the template for a TCP one.
     */
    @Test
    void aUdpServicesTemplateIsMarkedAndNoOtherFlagIsATemplates() {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(buffer, 0, 256, 0);
        w.template(FlowTable.IPV4, 0xC6130000L, 24, FlowTable.IPV4, 3, 53, FlowTable.IPV4, 4, 53, 5, 6, true);
        w.template(FlowTable.IPV4, 0xC6130000L, 24, FlowTable.IPV4, 3, 53, FlowTable.IPV4, 5, 53, 5, 6);
        int length = w.finish();
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(buffer, 0, length)).isNull();
        assertThat(r.next()).isTrue();
        assertThat(r.type()).isEqualTo(FlowRecords.TEMPLATE);
        assertThat(r.udp()).isTrue();
        assertThat(r.next()).isTrue();
        assertThat(r.udp()).isFalse();
        buffer.put(FlowRecords.HEADER_LENGTH + 3, (byte) FlowRecords.CONTROLLED);
        assertThat(r.wrap(buffer, 0, length)).isEqualTo("record 1 of 2: reserved bits set");
    }

    @Test
    void corruptOrTruncatedBytesAreRefusedOrReadSafelyNeverThrown() {
        Random random = new Random(PropertySeed.seed());
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        FlowRecords.Writer w = new FlowRecords.Writer();
        FlowRecords.Reader r = new FlowRecords.Reader();
        int refused = 0;
        for (int example = 0; example < 2000; example++) {
            w.wrap(buffer, 0, 8192, example);
            for (int n = 1 + random.nextInt(40); n > 0; n--) {
                write(w, random(random));
            }
            int length = w.finish();
            int available = length;
            switch (random.nextInt(3)) {
                case 0 -> buffer.put(random.nextInt(length), (byte) random.nextInt(256));
                case 1 -> available = random.nextInt(length);
                default -> {
                    for (int i = 0; i < length; i++) {
                        buffer.put(i, (byte) random.nextInt(256));
                    }
                }
            }
            String problem = r.wrap(buffer, 0, available);
            if (problem != null) {
                refused++;
                assertThat(r.next()).as("nothing is handed out of a refused message").isFalse();
                continue;
            }
            int records = 0;
            while (r.next()) {
                records++;
                assertThat(r.type()).isIn(FlowRecords.FLOW, FlowRecords.TEMPLATE);
                if (r.type() == FlowRecords.FLOW) {
                    assertThat((int) r.state()).isBetween(0, TcpStates.count() - 1);
                }
            }
            assertThat(records).isEqualTo(r.count());
        }
        assertThat(refused).isGreaterThan(1000);
    }
}
