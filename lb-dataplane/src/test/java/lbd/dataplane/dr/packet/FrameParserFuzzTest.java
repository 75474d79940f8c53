package lbd.dataplane.dr.packet;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Any bytes as a frame from the AF_PACKET ring: FrameParser gives a verdict, and for a tcp or arp verdict every
 * field the DR path then reads lies within the captured bytes. The frame sits in a segment of exactly its length,
 * so a read past it throws and is a finding; in the ring, the same read would silently use the previous frame's
 * bytes. The same frame in a larger slot (as in the ring) must read the same.
 *
 * <p>Seeds: tcp (with a VLAN tag, IPv4 options), arp, a fragment, udp; IPv6 tcp (plain, behind extension
 * headers), a neighbour solicitation, an IPv6 fragment; in {@code FrameParserFuzzTestInputs}.
 */
class FrameParserFuzzTest {

    private final FrameParser parser = new FrameParser();

    @FuzzTest(maxDuration = "3s")
    void readsOnlyTheCapturedBytes(byte[] frame) {
        MemorySegment exact = MemorySegment.ofArray(frame);
        long[] fields = fields(exact, frame.length);

        byte[] slot = Arrays.copyOf(frame, frame.length + 64);
        Arrays.fill(slot, frame.length, slot.length, (byte) 0xff);
        assertThat(fields(MemorySegment.ofArray(slot), frame.length)).isEqualTo(fields);
    }

    /** The verdict and what DrWorker and NeighbourResolver read for it. */
    private long[] fields(MemorySegment frame, int length) {
        int verdict = parser.parse(frame, length);
        assertThat(verdict).isBetween(0, FrameParser.VERDICTS - 1);
        assertThat(parser.length()).isEqualTo(length);
        return switch (verdict) {
            case FrameParser.TCP -> parser.isIpv6()
                    ? new long[] {verdict, parser.destinationMac(), parser.sourceMac(), parser.networkOffset(),
                            parser.sourceIpv6High(), parser.sourceIpv6Low(), parser.destinationIpv6High(),
                            parser.destinationIpv6Low(), parser.ipLength(), parser.transportOffset(),
                            parser.sourcePort(), parser.destinationPort(), parser.tcpFlags()}
                    : new long[] {verdict, parser.destinationMac(), parser.sourceMac(),
                            parser.networkOffset(), parser.sourceIp(), parser.destinationIp(), parser.ipLength(),
                            parser.sourcePort(), parser.destinationPort(), parser.tcpFlags()};
            case FrameParser.NEIGHBOUR_SOLICITATION -> new long[] {verdict, parser.sourceMac(),
                    parser.sourceIpv6High(), parser.sourceIpv6Low(),
                    NdFrame.targetHigh(frame, parser.transportOffset()), NdFrame.targetLow(frame, parser.transportOffset())};
            case FrameParser.ARP -> {
                int l3 = parser.networkOffset();
                yield ArpFrame.isEthernetIpv4(frame, l3, parser.length())
                        ? new long[] {verdict, l3, ArpFrame.operation(frame, l3), ArpFrame.senderMac(frame, l3),
                                ArpFrame.senderIp(frame, l3), ArpFrame.targetIp(frame, l3)}
                        : new long[] {verdict, l3};
            }
            default -> new long[] {verdict};
        };
    }
}
