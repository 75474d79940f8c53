package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;

/**
 * IPv4-in-IPv4 (LVS-TUN, protocol 4) as IPVS's tunnel transmitter builds it, over native memory and without
 * allocation: the outer header takes the inner packet's TOS, its DF bit and its TTL (after the director's hop
 * takes one off, as IPVS does before it encapsulates), with the director's address on the route as source and
 * the real server's as destination. The inner IPv4 header's checksum is rewritten (TTL changed), and the TCP
 * checksum completed in software when the frame came with one left to the hardware: the kernel cannot complete a
 * checksum inside a tunnel that a packet socket hands it.
 *
 * <p>Offsets are absolute in the segment; {@code l3} is the inner IPv4 header's. The caller leaves
 * {@link #HEADER} bytes free in front of the frame's Ethernet header.
 */
public final class Ipv4Tunnel {

    /** Bytes the outer header adds. */
    public static final int HEADER = 20;
    public static final int PROTOCOL_IPIP = 4;
    private static final int DF = 0x4000;

    private Ipv4Tunnel() {
    }

    /** The inner packet's TTL is 0 or 1: it dies at the director (IPVS answers with ICMP time exceeded). */
    public static boolean expires(MemorySegment s, long l3) {
        return Net.u8(s, l3 + 8) <= 1;
    }

    /** Whether the inner packet forbids fragmentation (DF). */
    public static boolean dontFragment(MemorySegment s, long l3) {
        return (Net.u16(s, l3 + 6) & DF) != 0;
    }

    /**
     * Takes one hop off the inner packet's TTL and rewrites its header checksum; with {@code completeTcp}, also
     * writes the TCP checksum (of {@code tcpLength} bytes at {@code l4}).
     */
    public static void prepareInner(MemorySegment s, long l3, long l4, int tcpLength, boolean completeTcp) {
        prepareInner(s, l3, l4, tcpLength, completeTcp, false);
    }

    /** As above for a TCP segment or ({@code udp}) a UDP datagram of {@code length} bytes at {@code l4}. */
    public static void prepareInner(MemorySegment s, long l3, long l4, int length, boolean complete, boolean udp) {
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, l3 + 8, (byte) (Net.u8(s, l3 + 8) - 1));
        Checksum.ipv4Header(s, l3);
        if (complete && udp) {
            Checksum.udpOverIpv4(s, l3, l4, length);
        } else if (complete) {
            Checksum.tcpOverIpv4(s, l3, l4, length);
        }
    }

    /**
     * Writes the Ethernet header and the outer IPv4 header in front of the inner packet at {@code l3}: the Ethernet
     * header at {@code l3 - HEADER - 14}, the outer header at {@code l3 - HEADER}.
     *
     * @param id the outer header's identification (any value per packet: the outer packet is never fragmented)
     * @return the Ethernet frame's length (up to the inner packet's end)
     */
    public static int writeOuter(MemorySegment s, long l3, long nextHopMac, long sourceMac, int source,
                                 int destination, int id) {
        long outer = l3 - HEADER;
        long eth = outer - FrameParser.ETH_HEADER;
        int innerLength = Net.u16(s, l3 + 2);
        Net.putMac(s, eth, nextHopMac);
        Net.putMac(s, eth + 6, sourceMac);
        Net.putU16(s, eth + 12, 0x0800);
        Net.putU16(s, outer, 0x4500 | Net.u8(s, l3 + 1));            // version 4, IHL 5, the inner TOS
        Net.putU16(s, outer + 2, innerLength + HEADER);
        Net.putU16(s, outer + 4, id);
        Net.putU16(s, outer + 6, Net.u16(s, l3 + 6) & DF);          // DF as the inner packet, never a fragment
        Net.putU16(s, outer + 8, (Net.u8(s, l3 + 8) << 8) | PROTOCOL_IPIP);
        Net.putU32(s, outer + 12, source);
        Net.putU32(s, outer + 16, destination);
        Checksum.ipv4Header(s, outer);
        return FrameParser.ETH_HEADER + HEADER + innerLength;
    }
}
