package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;

/**
 * A flyweight that classifies one received Ethernet frame and exposes the fields the DR path needs, read
 * straight from the frame's memory. Every offset is checked against the captured length, so a truncated or
 * malformed frame yields a verdict, never an exception; nothing is allocated.
 *
 * <p>Handles one 802.1Q/802.1ad tag (kept in place when forwarding), IPv4 options (IHL), and classifies
 * fragments: every fragment is a {@link #FRAGMENT} (counted and dropped), the first one too. IPVS schedules a
 * UDP datagram's first fragment by its ports and sends later ones after it by the reassembled packet; lbd does not
 * reassemble, so it forwards no fragment at all (a client's fragmented UDP datagram is lost, counted as
 * {@code frames-fragment}).
 *
 * <p>A UDP datagram ({@link #UDP}) needs its 8-byte header in the frame; its ports are read as TCP's are.
 *
 * <p>IPv6: TCP or UDP after the fixed header, or after hop-by-hop, routing and destination options headers, which are
 * skipped as IPVS skips them ({@code ipv6_find_hdr}); a fragment header makes the packet a {@link #FRAGMENT};
 * any other extension (AH, ESP, ...) is {@link #IPV6_EXTENSION}, counted and dropped. An ICMPv6 neighbour
 * solicitation (hop limit 255, as RFC 4861 requires) is {@link #NEIGHBOUR_SOLICITATION}.
 */
public final class FrameParser {

    public static final int TCP = 0;
    public static final int ARP = 1;
    public static final int NOT_IPV4 = 2;
    public static final int TRUNCATED = 3;
    public static final int BAD_IPV4_HEADER = 4;
    public static final int FRAGMENT = 5;
    public static final int NOT_TCP = 6;
    public static final int BAD_IPV6_HEADER = 7;
    public static final int IPV6_EXTENSION = 8;
    public static final int NEIGHBOUR_SOLICITATION = 9;
    public static final int UDP = 10;
    public static final int VERDICTS = 11;

    public static final int ETH_HEADER = 14;
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_ACK = 0x10;

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88a8;
    private static final int ETHERTYPE_IPV6 = 0x86dd;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int UDP_HEADER = 8;
    private static final int PROTO_ICMPV6 = 58;
    private static final int IPV6_HEADER = 40;
    private static final int MAX_IPV6_EXTENSIONS = 8;
    private static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;

    private MemorySegment frame;
    private int length;
    private int l3;
    private int l4;
    private boolean ipv6;
    private boolean udp;

    /** Classifies the frame of {@code length} bytes at the start of {@code segment}; returns a verdict. */
    public int parse(MemorySegment segment, int length) {
        int verdict = classify(segment, length);
        udp = verdict == UDP;
        return verdict;
    }

    private int classify(MemorySegment segment, int length) {
        this.frame = segment;
        this.length = (int) Math.min(length, segment.byteSize());
        int len = this.length;
        if (len < ETH_HEADER) {
            return TRUNCATED;
        }
        int at = 12;
        int type = Net.u16(frame, at);
        if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
            if (len < ETH_HEADER + 4) {
                return TRUNCATED;
            }
            at += 4;
            type = Net.u16(frame, at);
        }
        l3 = at + 2;
        ipv6 = false;
        if (type == ETHERTYPE_ARP) {
            return ARP;
        }
        if (type == ETHERTYPE_IPV6) {
            ipv6 = true;
            return parseIpv6(len);
        }
        if (type != ETHERTYPE_IPV4) {
            return NOT_IPV4;
        }
        if (len < l3 + 20) {
            return TRUNCATED;
        }
        int versionIhl = Net.u8(frame, l3);
        int ihl = (versionIhl & 0x0f) * 4;
        if ((versionIhl >>> 4) != 4 || ihl < 20) {
            return BAD_IPV4_HEADER;
        }
        int totalLength = Net.u16(frame, l3 + 2);
        if (totalLength < ihl) {
            return BAD_IPV4_HEADER;
        }
        if (len < l3 + ihl) {
            return TRUNCATED;
        }
        int fragment = Net.u16(frame, l3 + 6);
        if ((fragment & 0x3fff) != 0) { // MF set or a non-zero offset
            return FRAGMENT;
        }
        int protocol = Net.u8(frame, l3 + 9);
        l4 = l3 + ihl;
        if (protocol == PROTO_UDP) {
            return len < l4 + UDP_HEADER || totalLength < ihl + UDP_HEADER ? TRUNCATED : UDP;
        }
        if (protocol != PROTO_TCP) {
            return NOT_TCP;
        }
        if (len < l4 + 14 || totalLength < ihl + 14) { // ports, sequence numbers and flags
            return TRUNCATED;
        }
        return TCP;
    }

    private int parseIpv6(int len) {
        if (len < l3 + IPV6_HEADER) {
            return TRUNCATED;
        }
        if ((Net.u8(frame, l3) >>> 4) != 6) {
            return BAD_IPV6_HEADER;
        }
        int end = l3 + IPV6_HEADER + Net.u16(frame, l3 + 4); // the payload's end as the header says
        int next = Net.u8(frame, l3 + 6);
        int at = l3 + IPV6_HEADER;
        for (int i = 0; ; i++) {
            if (next == PROTO_TCP) {
                l4 = at;
                if (len < l4 + 14 || end < l4 + 14) {
                    return TRUNCATED;
                }
                return TCP;
            }
            if (next == PROTO_UDP) {
                l4 = at;
                return len < l4 + UDP_HEADER || end < l4 + UDP_HEADER ? TRUNCATED : UDP;
            }
            if (next == PROTO_ICMPV6) {
                l4 = at;
                if (len < l4 + 24 || end < l4 + 24) { // type, code, checksum, flags, the target address
                    return TRUNCATED;
                }
                return Net.u8(frame, l4) == ICMPV6_NEIGHBOUR_SOLICITATION && Net.u8(frame, l4 + 1) == 0
                        && Net.u8(frame, l3 + 7) == 255 ? NEIGHBOUR_SOLICITATION : NOT_TCP;
            }
            if (next == 44) {
                return FRAGMENT;
            }
            boolean skippable = (next == 0 && i == 0) || next == 43 || next == 60; // hop-by-hop only first
            if (!skippable) {
                return next == 0 || next == 50 || next == 51 || next == 135 || next == 139 || next == 140
                        || next == 253 || next == 254 ? IPV6_EXTENSION : NOT_TCP;
            }
            if (i == MAX_IPV6_EXTENSIONS || len < at + 8 || end < at + 8) {
                return i == MAX_IPV6_EXTENSIONS ? IPV6_EXTENSION : TRUNCATED;
            }
            next = Net.u8(frame, at);
            at += (Net.u8(frame, at + 1) + 1) * 8;
        }
    }

    public int length() {
        return length;
    }

    /** Whether the packet last parsed is a UDP datagram (else TCP, for the verdicts that are forwarded). */
    public boolean isUdp() {
        return udp;
    }

    /** The transport header's length: UDP's 8 bytes, or the TCP header's data offset. */
    public int transportHeaderLength() {
        return udp ? UDP_HEADER : (Net.u8(frame, l4 + 12) >>> 4) * 4;
    }

    /** Whether the packet last parsed is IPv6 (its addresses are then read with the *Ipv6* accessors). */
    public boolean isIpv6() {
        return ipv6;
    }

    /** The high 64 bits of the IPv6 source address. */
    public long sourceIpv6High() {
        return Net.u64(frame, l3 + 8);
    }

    public long sourceIpv6Low() {
        return Net.u64(frame, l3 + 16);
    }

    public long destinationIpv6High() {
        return Net.u64(frame, l3 + 24);
    }

    public long destinationIpv6Low() {
        return Net.u64(frame, l3 + 32);
    }

    /** Offset of the transport header (TCP, or the ICMPv6 message). */
    public int transportOffset() {
        return l4;
    }

    /** The frame last parsed. */
    public MemorySegment frame() {
        return frame;
    }

    public long destinationMac() {
        return Net.mac(frame, 0);
    }

    public long sourceMac() {
        return Net.mac(frame, 6);
    }

    /** Offset of the network header (after any VLAN tag). */
    public int networkOffset() {
        return l3;
    }

    public int sourceIp() {
        return Net.u32(frame, l3 + 12);
    }

    public int destinationIp() {
        return Net.u32(frame, l3 + 16);
    }

    /** The IP packet's length (IPv4 total length, IPv6 header + payload): the bytes counted for the connection. */
    public int ipLength() {
        return ipv6 ? IPV6_HEADER + Net.u16(frame, l3 + 4) : Net.u16(frame, l3 + 2);
    }

    public int sourcePort() {
        return Net.u16(frame, l4);
    }

    public int destinationPort() {
        return Net.u16(frame, l4 + 2);
    }

    public int tcpFlags() {
        return Net.u8(frame, l4 + 13);
    }

    /** DR's whole rewrite: the real server's MAC as destination, the director's as source. */
    public void rewriteMacs(long destination, long source) {
        Net.putMac(frame, 0, destination);
        Net.putMac(frame, 6, source);
    }

    public static String verdictName(int verdict) {
        return switch (verdict) {
            case TCP -> "tcp";
            case ARP -> "arp";
            case NOT_IPV4 -> "not-ip";
            case TRUNCATED -> "truncated";
            case BAD_IPV4_HEADER -> "bad-ipv4-header";
            case FRAGMENT -> "fragment";
            case NOT_TCP -> "not-tcp-or-udp";
            case BAD_IPV6_HEADER -> "bad-ipv6-header";
            case IPV6_EXTENSION -> "ipv6-extension-header";
            case NEIGHBOUR_SOLICITATION -> "neighbour-solicitation";
            case UDP -> "udp";
            default -> "unknown";
        };
    }
}
