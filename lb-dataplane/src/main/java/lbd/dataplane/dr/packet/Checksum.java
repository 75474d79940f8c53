package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;

/**
 * The Internet checksum (RFC 1071) over native memory, allocation-free: IPv4 headers, ICMP, and an upper layer
 * (TCP, UDP, ICMPv6) over IPv4 or IPv6 with its pseudo-header.
 */
public final class Checksum {

    private Checksum() {
    }

    /** The one's-complement sum of {@code length} bytes at {@code at} added to {@code sum}, not yet folded. */
    public static long add(MemorySegment s, long at, int length, long sum) {
        long end = at + length;
        long i = at;
        for (; i + 4 <= end; i += 4) {
            sum += Net.u32(s, i) & 0xffffffffL;
        }
        if (i + 2 <= end) {
            sum += Net.u16(s, i);
            i += 2;
        }
        if (i < end) {
            sum += Net.u8(s, i) << 8;
        }
        return sum;
    }

    /** The folded, complemented checksum of a sum from {@link #add}. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** The unfolded sum of the IPv4 pseudo-header (addresses, zero, protocol, length) of the packet at {@code l3}. */
    private static long pseudoHeader4(MemorySegment s, long l3, int protocol, int length) {
        return add(s, l3 + 12, 8, 0) + protocol + length;
    }

    /** The same for IPv6 (RFC 8200: addresses, upper-layer length, next header). */
    private static long pseudoHeader6(MemorySegment s, long l3, int nextHeader, int length) {
        return add(s, l3 + 8, 32, 0) + length + nextHeader;
    }

    /** Writes an IPv4 header's checksum (its checksum field is zeroed first). */
    public static void ipv4Header(MemorySegment s, long l3) {
        int ihl = (Net.u8(s, l3) & 0x0f) * 4;
        Net.putU16(s, l3 + 10, 0);
        Net.putU16(s, l3 + 10, fold(add(s, l3, ihl, 0)));
    }

    /**
     * Writes the TCP checksum of the IPv4 segment whose IP header is at {@code l3} and TCP header at {@code l4},
     * {@code tcpLength} bytes of TCP header and payload: over the pseudo-header and the whole segment, as a sender
     * without checksum offload does.
     */
    public static void tcpOverIpv4(MemorySegment s, long l3, long l4, int tcpLength) {
        Net.putU16(s, l4 + 16, 0);
        Net.putU16(s, l4 + 16, fold(add(s, l4, tcpLength, pseudoHeader4(s, l3, 6, tcpLength))));
    }

    /**
     * Writes the UDP checksum of the IPv4 datagram whose IP header is at {@code l3} and UDP header at {@code l4},
     * {@code udpLength} bytes of header and payload (a sum of 0 goes out as 0xffff: 0 means "none", RFC 768).
     */
    public static void udpOverIpv4(MemorySegment s, long l3, long l4, int udpLength) {
        Net.putU16(s, l4 + 6, 0);
        int c = fold(add(s, l4, udpLength, pseudoHeader4(s, l3, 17, udpLength)));
        Net.putU16(s, l4 + 6, c == 0 ? 0xffff : c);
    }

    /** Writes the UDP checksum of the IPv6 datagram whose header is at {@code l3}, UDP at {@code l4}. */
    public static void udpOverIpv6(MemorySegment s, long l3, long l4, int udpLength) {
        Net.putU16(s, l4 + 6, 0);
        int c = overIpv6(s, l3, l4, udpLength, 17);
        Net.putU16(s, l4 + 6, c == 0 ? 0xffff : c);
    }

    /**
     * The checksum of an upper-layer message of {@code length} bytes at {@code at} (TCP, ICMPv6) in the IPv6 packet
     * whose header is at {@code l3}: over RFC 8200's pseudo-header (addresses, length, next header) and the message,
     * whose checksum field must be zero.
     */
    public static int overIpv6(MemorySegment s, long l3, long at, int length, int nextHeader) {
        return fold(add(s, at, length, pseudoHeader6(s, l3, nextHeader, length)));
    }

    /** Writes the TCP checksum of the IPv6 segment whose header is at {@code l3}, TCP at {@code l4}. */
    public static void tcpOverIpv6(MemorySegment s, long l3, long l4, int tcpLength) {
        Net.putU16(s, l4 + 16, 0);
        Net.putU16(s, l4 + 16, overIpv6(s, l3, l4, tcpLength, 6));
    }

    /**
     * Finishes the TCP or UDP checksum of an untagged IPv4 (no options) or IPv6 frame whose sender left it to the
     * NIC (checksum offload), as an XDP program's frames can be: generic XDP hands over the bytes without the
     * kernel's note that the checksum is unfinished, which a packet socket's virtio-net header carries. Such a field
     * holds the pseudo-header's folded sum; completing it sums the segment with that field in place. A field that
     * holds anything else is left alone: a finished checksum that happens to equal the pseudo-header's sum is
     * rewritten to the same value (a correct checksum is the only value that completion leaves in place).
     */
    public static void completeOffloaded(MemorySegment f, int length) {
        int type = Net.u16(f, 12);
        long l4;
        int protocol;
        int l4Length;
        long sum;
        if (type == 0x0800 && length >= 34) {
            l4 = 34;
            protocol = Net.u8(f, 23);
            l4Length = Net.u16(f, 16) - 20;
            sum = pseudoHeader4(f, 14, protocol, l4Length);
        } else if (type == 0x86dd && length >= 54) {
            l4 = 54;
            protocol = Net.u8(f, 20);
            l4Length = Net.u16(f, 18);
            sum = pseudoHeader6(f, 14, protocol, l4Length);
        } else {
            return;
        }
        long field = protocol == 6 ? l4 + 16 : protocol == 17 ? l4 + 6 : -1;
        if (field < 0 || l4 + l4Length > length || field + 2 > l4 + l4Length) {
            return;
        }
        int pseudo = ~fold(sum) & 0xffff;
        int found = Net.u16(f, field);
        if (found != pseudo || (protocol == 17 && found == 0)) {
            return;
        }
        int c = fold(add(f, l4, l4Length, 0));
        Net.putU16(f, field, protocol == 17 && c == 0 ? 0xffff : c);
    }
}
