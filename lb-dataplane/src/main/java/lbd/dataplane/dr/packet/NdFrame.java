package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * IPv6 neighbour discovery (RFC 4861), what direct routing needs of it in place of ARP: the target of a neighbour
 * solicitation, and the neighbour advertisements lbd sends for its VIPs — solicited answers, and unsolicited ones
 * to all nodes when it takes a VIP over (the IPv6 gratuitous ARP). Reads at the offsets {@link FrameParser} found;
 * writes complete untagged frames. No allocation.
 */
public final class NdFrame {

    /** Ethernet 14 + IPv6 40 + advertisement 24 + target link-layer address option 8. */
    public static final int ADVERTISEMENT_LENGTH = 86;
    public static final long ALL_NODES_HIGH = 0xff02_0000_0000_0000L;
    public static final long ALL_NODES_LOW = 1L;
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final int ICMPV6 = 58;
    private static final int NEIGHBOUR_ADVERTISEMENT = 136;
    private static final int FLAG_SOLICITED = 0x4000_0000;
    private static final int FLAG_OVERRIDE = 0x2000_0000;

    private NdFrame() {
    }

    /** The high 64 bits of a solicitation's target address; {@code l4} is the ICMPv6 message's offset. */
    public static long targetHigh(MemorySegment f, int l4) {
        return Net.u64(f, l4 + 8);
    }

    public static long targetLow(MemorySegment f, int l4) {
        return Net.u64(f, l4 + 16);
    }

    /**
     * The answer to a solicitation for {@code target} from {@code (sourceHigh, sourceLow)} whose frame came from
     * {@code sourceMac}: to the solicitor (solicited, override), or — when it solicited from the unspecified
     * address (duplicate address detection) — to all nodes, unsolicited. Returns the frame's length.
     */
    public static int writeAnswer(MemorySegment out, long ownMac, long targetHigh, long targetLow, long sourceMac,
                                  long sourceHigh, long sourceLow) {
        if (sourceHigh == 0 && sourceLow == 0) {
            return writeUnsolicited(out, ownMac, targetHigh, targetLow);
        }
        return write(out, sourceMac, ownMac, targetHigh, targetLow, sourceHigh, sourceLow,
                FLAG_SOLICITED | FLAG_OVERRIDE);
    }

    /** An unsolicited advertisement to all nodes (override set): this host now answers for {@code target}. */
    public static int writeUnsolicited(MemorySegment out, long ownMac, long targetHigh, long targetLow) {
        return write(out, ALL_NODES_MAC, ownMac, targetHigh, targetLow, ALL_NODES_HIGH, ALL_NODES_LOW, FLAG_OVERRIDE);
    }

    private static int write(MemorySegment out, long ethDestination, long ownMac, long targetHigh, long targetLow,
                             long destinationHigh, long destinationLow, int flags) {
        Net.putMac(out, 0, ethDestination);
        Net.putMac(out, 6, ownMac);
        Net.putU16(out, 12, 0x86dd);
        int ip = 14;
        Net.putU32(out, ip, 0x6000_0000);
        Net.putU16(out, ip + 4, 32);                 // payload: the advertisement and its option
        out.set(ValueLayout.JAVA_BYTE, ip + 6, (byte) ICMPV6);
        out.set(ValueLayout.JAVA_BYTE, ip + 7, (byte) 255); // hop limit 255: neighbours drop anything else
        Net.putU64(out, ip + 8, targetHigh);         // from the VIP itself
        Net.putU64(out, ip + 16, targetLow);
        Net.putU64(out, ip + 24, destinationHigh);
        Net.putU64(out, ip + 32, destinationLow);
        int icmp = ip + 40;
        Net.putU32(out, icmp, NEIGHBOUR_ADVERTISEMENT << 24); // type, code 0, checksum 0 for now
        Net.putU32(out, icmp + 4, flags);
        Net.putU64(out, icmp + 8, targetHigh);
        Net.putU64(out, icmp + 16, targetLow);
        out.set(ValueLayout.JAVA_BYTE, icmp + 24, (byte) 2); // target link-layer address option
        out.set(ValueLayout.JAVA_BYTE, icmp + 25, (byte) 1); // in units of 8 bytes
        Net.putMac(out, icmp + 26, ownMac);
        Net.putU16(out, icmp + 2, checksum(out, ip, icmp, 32));
        return ADVERTISEMENT_LENGTH;
    }

    /** The ICMPv6 checksum of {@code length} bytes at {@code icmp}, over the pseudo-header of the IPv6 header at ip. */
    static int checksum(MemorySegment f, int ip, int icmp, int length) {
        return Checksum.overIpv6(f, ip, icmp, length, ICMPV6);
    }
}
