package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * IPv6-in-IPv6 (LVS-TUN for IPv6 services, next header 41) as IPVS's IPv6 tunnel transmitter builds it, over native
 * memory and without allocation: the outer header takes the inner packet's traffic class and hop limit (after the
 * director's hop takes one off the inner packet), flow label 0, the director's address on the route as source and
 * the real server's as destination. IPv6 has no header checksum; the TCP checksum is completed in software when the
 * frame came with one left to the hardware.
 *
 * <p>Offsets are absolute in the segment; {@code l3} is the inner IPv6 header's. The caller leaves {@link #HEADER}
 * bytes free in front of the frame's Ethernet header.
 */
public final class Ipv6Tunnel {

    /** Bytes the outer header adds. */
    public static final int HEADER = 40;
    public static final int NEXT_HEADER_IPV6 = 41;

    private Ipv6Tunnel() {
    }

    /** The inner packet's hop limit is 0 or 1: it dies at the director. */
    public static boolean expires(MemorySegment s, long l3) {
        return Net.u8(s, l3 + 7) <= 1;
    }

    /**
     * Takes one hop off the inner packet's hop limit; with {@code completeTcp}, also writes the TCP checksum (of
     * {@code tcpLength} bytes at {@code l4}).
     */
    public static void prepareInner(MemorySegment s, long l3, long l4, int tcpLength, boolean completeTcp) {
        prepareInner(s, l3, l4, tcpLength, completeTcp, false);
    }

    /** As above for a TCP segment or ({@code udp}) a UDP datagram of {@code length} bytes at {@code l4}. */
    public static void prepareInner(MemorySegment s, long l3, long l4, int length, boolean complete, boolean udp) {
        s.set(ValueLayout.JAVA_BYTE, l3 + 7, (byte) (Net.u8(s, l3 + 7) - 1));
        if (complete && udp) {
            Checksum.udpOverIpv6(s, l3, l4, length);
        } else if (complete) {
            Checksum.tcpOverIpv6(s, l3, l4, length);
        }
    }

    /**
     * Writes the Ethernet header and the outer IPv6 header in front of the inner packet at {@code l3}: the Ethernet
     * header at {@code l3 - HEADER - 14}, the outer header at {@code l3 - HEADER}.
     *
     * @return the Ethernet frame's length (up to the inner packet's end)
     */
    public static int writeOuter(MemorySegment s, long l3, long nextHopMac, long sourceMac, long sourceHigh,
                                 long sourceLow, long destinationHigh, long destinationLow) {
        long outer = l3 - HEADER;
        long eth = outer - FrameParser.ETH_HEADER;
        int innerLength = HEADER + Net.u16(s, l3 + 4);
        int trafficClass = (Net.u32(s, l3) >>> 20) & 0xff;
        Net.putMac(s, eth, nextHopMac);
        Net.putMac(s, eth + 6, sourceMac);
        Net.putU16(s, eth + 12, 0x86dd);
        Net.putU32(s, outer, (6 << 28) | (trafficClass << 20));      // version, traffic class, flow label 0
        Net.putU16(s, outer + 4, innerLength);
        Net.putU16(s, outer + 6, (NEXT_HEADER_IPV6 << 8) | Net.u8(s, l3 + 7));
        Net.putU64(s, outer + 8, sourceHigh);
        Net.putU64(s, outer + 16, sourceLow);
        Net.putU64(s, outer + 24, destinationHigh);
        Net.putU64(s, outer + 32, destinationLow);
        return FrameParser.ETH_HEADER + HEADER + innerLength;
    }
}
