package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;

/**
 * A flyweight that classifies one received Ethernet frame and exposes the fields the DR path needs, read
 * straight from the frame's memory. Every offset is checked against the captured length, so a truncated or
 * malformed frame yields a verdict, never an exception; nothing is allocated.
 *
 * <p>Handles one 802.1Q/802.1ad tag (kept in place when forwarding), IPv4 options (IHL), and classifies
 * fragments: a fragment has no reliable TCP header, so it is never forwarded by flow.
 */
public final class FrameParser {

    public static final int TCP = 0;
    public static final int ARP = 1;
    public static final int NOT_IPV4 = 2;
    public static final int TRUNCATED = 3;
    public static final int BAD_IPV4_HEADER = 4;
    public static final int FRAGMENT = 5;
    public static final int NOT_TCP = 6;
    public static final int VERDICTS = 7;

    public static final int ETH_HEADER = 14;
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_ACK = 0x10;

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88a8;
    private static final int PROTO_TCP = 6;

    private MemorySegment frame;
    private int length;
    private int l3;
    private int l4;

    /** Classifies the frame of {@code length} bytes at the start of {@code segment}; returns a verdict. */
    public int parse(MemorySegment segment, int length) {
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
        if (type == ETHERTYPE_ARP) {
            return ARP;
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
        if (Net.u8(frame, l3 + 9) != PROTO_TCP) {
            return NOT_TCP;
        }
        l4 = l3 + ihl;
        if (len < l4 + 14 || totalLength < ihl + 14) { // ports, sequence numbers and flags
            return TRUNCATED;
        }
        return TCP;
    }

    public int length() {
        return length;
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

    /** IPv4 total length: the bytes counted for the connection. */
    public int ipLength() {
        return Net.u16(frame, l3 + 2);
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
            case NOT_IPV4 -> "not-ipv4";
            case TRUNCATED -> "truncated";
            case BAD_IPV4_HEADER -> "bad-ipv4-header";
            case FRAGMENT -> "fragment";
            case NOT_TCP -> "not-tcp";
            default -> "unknown";
        };
    }
}
