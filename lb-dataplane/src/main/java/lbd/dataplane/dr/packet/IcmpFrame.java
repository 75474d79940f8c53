package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ICMP "fragmentation needed" (destination unreachable, code 4, RFC 1191) — for IPv6, ICMPv6 "packet too big"
 * (RFC 4443) — for a packet that does not fit its egress (once encapsulated, for ipip): what IPVS sends back to the
 * client, so that the client's path MTU discovery lowers its segment size. Written from the VIP (the address the
 * client sent to) to the client, to the MAC the packet came from, quoting the packet's IP header(s) and first 8
 * bytes of TCP (ports and sequence number: what the client's stack needs to find the connection). No allocation.
 */
public final class IcmpFrame {

    private static final int QUOTED_PAYLOAD = 8;
    /** The most an ICMPv6 "packet too big" quotes here (the frame fits a 256-byte reply buffer). */
    private static final int MAX_QUOTE6 = 190;

    private IcmpFrame() {
    }

    /**
     * Writes the frame into {@code out} at 0.
     *
     * @param in     the frame of the packet that is too big
     * @param l3     its IPv4 header's offset in {@code in}
     * @param nextHopMtu the largest packet that fits (the egress MTU less the tunnel header)
     * @return the frame's length
     */
    public static int writeFragmentationNeeded(MemorySegment out, long ownMac, MemorySegment in, int l3,
                                               long clientMac, int nextHopMtu) {
        int ihl = (Net.u8(in, l3) & 0x0f) * 4;
        int quoted = ihl + QUOTED_PAYLOAD;
        int ip = FrameParser.ETH_HEADER;
        int icmp = ip + 20;
        Net.putMac(out, 0, clientMac);
        Net.putMac(out, 6, ownMac);
        Net.putU16(out, 12, 0x0800);
        Net.putU16(out, ip, 0x45c0);                 // version 4, IHL 5, precedence "internetwork control"
        Net.putU16(out, ip + 2, 20 + 8 + quoted);
        Net.putU32(out, ip + 4, 0);                  // identification, flags, fragment offset
        Net.putU16(out, ip + 8, (64 << 8) | 1);      // TTL 64, ICMP
        Net.putU32(out, ip + 12, Net.u32(in, l3 + 16)); // from the VIP
        Net.putU32(out, ip + 16, Net.u32(in, l3 + 12)); // to the client
        Checksum.ipv4Header(out, ip);
        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) 3);     // destination unreachable
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 4); // fragmentation needed and DF set
        Net.putU16(out, icmp + 2, 0);
        Net.putU16(out, icmp + 4, 0);
        Net.putU16(out, icmp + 6, nextHopMtu);
        MemorySegment.copy(in, l3, out, icmp + 8, quoted);
        Net.putU16(out, icmp + 2, Checksum.fold(Checksum.add(out, icmp, 8 + quoted, 0)));
        return icmp + 8 + quoted;
    }

    /**
     * Writes an ICMPv6 "packet too big" into {@code out} at 0 for the IPv6 packet at {@code l3} of {@code in}, whose
     * transport header is at {@code l4}.
     *
     * @param mtu the largest packet that fits (the egress MTU less the tunnel header)
     * @return the frame's length
     */
    public static int writePacketTooBig(MemorySegment out, long ownMac, MemorySegment in, int l3, int l4,
                                        long clientMac, int mtu) {
        int quoted = Math.min(l4 - l3 + QUOTED_PAYLOAD, MAX_QUOTE6);
        int ip = FrameParser.ETH_HEADER;
        int icmp = ip + 40;
        Net.putMac(out, 0, clientMac);
        Net.putMac(out, 6, ownMac);
        Net.putU16(out, 12, 0x86dd);
        Net.putU32(out, ip, 6 << 28);
        Net.putU16(out, ip + 4, 8 + quoted);
        Net.putU16(out, ip + 6, (58 << 8) | 255);            // ICMPv6, hop limit 255
        Net.putU64(out, ip + 8, Net.u64(in, l3 + 24));         // from the VIP
        Net.putU64(out, ip + 16, Net.u64(in, l3 + 32));
        Net.putU64(out, ip + 24, Net.u64(in, l3 + 8));         // to the client
        Net.putU64(out, ip + 32, Net.u64(in, l3 + 16));
        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) 2);      // packet too big
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 0);
        Net.putU16(out, icmp + 2, 0);
        Net.putU32(out, icmp + 4, mtu);
        MemorySegment.copy(in, l3, out, icmp + 8, quoted);
        Net.putU16(out, icmp + 2, Checksum.overIpv6(out, ip, icmp, 8 + quoted, 58));
        return icmp + 8 + quoted;
    }
}
