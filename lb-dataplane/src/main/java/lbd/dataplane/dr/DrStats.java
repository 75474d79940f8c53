package lbd.dataplane.dr;

import java.util.concurrent.atomic.AtomicLongArray;
import lbd.dataplane.dr.packet.FrameParser;

/**
 * One DR worker's packet counters: written by the worker only (release stores, no read-modify-write
 * contention), read by the control plane. Every frame that is not forwarded lands in exactly one reason.
 */
public final class DrStats {

    // The parser's verdicts come first (TCP, ARP, NOT_IPV4, TRUNCATED, ...), then the forwarding outcomes.
    public static final int FORWARDED = FrameParser.VERDICTS;
    public static final int NOT_FOR_THIS_HOST = FORWARDED + 1;
    public static final int NO_SERVICE = FORWARDED + 2;
    public static final int UNKNOWN_FLOW_NOT_SYN = FORWARDED + 3;
    public static final int NO_DESTINATION = FORWARDED + 4;
    public static final int MAC_UNRESOLVED = FORWARDED + 5;
    public static final int FLOW_TABLE_FULL = FORWARDED + 6;
    public static final int SEND_FAILED = FORWARDED + 7;
    public static final int ARP_REPLIES_SENT = FORWARDED + 8;
    public static final int RECEIVED = FORWARDED + 9;
    /** Not a drop: half-open connections the flow table let go to make room for new ones (a SYN flood). */
    public static final int HALF_OPEN_EVICTED = FORWARDED + 10;
    public static final int DELIVERED_LOCALLY = FORWARDED + 11;
    public static final int LOCAL_DELIVERY_FAILED = FORWARDED + 12;
    public static final int NEIGHBOUR_ADVERTISEMENTS_SENT = FORWARDED + 13;
    /**
     * ICMP "fragmentation needed" (ICMPv6 "packet too big") sent back for a packet too big for the egress (IPv4: DF
     * set; ipip: once encapsulated).
     */
    public static final int FRAGMENTATION_NEEDED_SENT = FORWARDED + 14;
    /** An IPv4 packet too big for the egress that allows fragmentation (lbd does not fragment). */
    public static final int TOO_BIG = FORWARDED + 15;
    /** ipip: the packet's TTL (hop limit) ends at the director. */
    public static final int TUNNEL_TTL_EXPIRED = FORWARDED + 16;
    /** ipip: a packet of one IP version for a tunnel of the other (a table built by hand; lb-config never does). */
    public static final int TUNNEL_FAMILY_MISMATCH = FORWARDED + 17;
    /** Not a drop: a connection scheduled elsewhere (a saved table, an upgrade, the other director) taken in. */
    public static final int INHERITED_FLOW_TAKEN = FORWARDED + 18;
    /**
     * A packet of a connection handed over whose real server is not (yet) in the service, or the flow table was
     * full: dropped, the connection kept until its deadline.
     */
    public static final int INHERITED_FLOW_WAITING = FORWARDED + 19;
    /** Not a drop: a mid-flow packet of an unknown connection scheduled as a new one (sloppytcp=yes). */
    public static final int MID_FLOW_SCHEDULED = FORWARDED + 20;
    /**
     * A frame received while the workers are held ({@link DrDataPlane#hold}): during an upgrade's hand-over the
     * other lbd process forwards (or, for the instant of the hand-over, neither), so this one drops everything.
     */
    public static final int HELD = FORWARDED + 21;
    /**
     * ipip: a frame of UDP datagrams the kernel coalesced (UDP GRO forwarding turned on for the interface), which
     * the tunnel does not segment.
     */
    public static final int UDP_COALESCED_NOT_TUNNELLED = FORWARDED + 22;
    /** Not a drop: UDP flows of few datagrams the flow table let go to make room for new ones (a flood). */
    public static final int UDP_EVICTED = FORWARDED + 23;
    /**
     * Frames the kernel dropped because a worker's receive ring was full (the packet ring's, or the AF_XDP socket's
     * receive or fill ring): the worker fell behind. Read from the sockets once a second; never counted as received.
     */
    public static final int RECEIVE_RING_FULL = FORWARDED + 24;
    /**
     * Not a drop: frames forwarded (counted in {@link #FORWARDED} too) that left through an AF_XDP socket rather than
     * the packet socket ({@code xdp=yes}).
     */
    public static final int SENT_THROUGH_AF_XDP = FORWARDED + 25;
    /**
     * A frame whose handling failed inside lbd (a bug): dropped, and the worker goes on with the next one. The log
     * has the error (see {@code DrWorker}).
     */
    public static final int INTERNAL_ERROR = FORWARDED + 26;
    public static final int COUNT = FORWARDED + 27;

    private final AtomicLongArray values = new AtomicLongArray(COUNT);

    /** Owner thread only. */
    void increment(int counter) {
        values.setRelease(counter, values.getPlain(counter) + 1);
    }

    /** Owner thread only. */
    void add(int counter, long n) {
        if (n != 0) {
            values.setRelease(counter, values.getPlain(counter) + n);
        }
    }

    public long get(int counter) {
        return values.getAcquire(counter);
    }

    /** What a counter counts, for the metrics: each frame received ends in one outcome (or is an ARP/ND request). */
    public enum Kind {
        /** Every frame the workers read. */
        RECEIVED,
        /** What the parser found: tcp, arp, neighbour-solicitation (the frames it handles further). */
        FRAME,
        /** Sent on to a real server. */
        FORWARDED,
        /** Of those, sent through AF_XDP. */
        SENT_THROUGH_AF_XDP,
        /** Handed to this host's stack for a local real server. */
        DELIVERED_LOCALLY,
        /** Dropped, for the reason {@link #reason} names. */
        DROPPED,
        /** An ARP reply or IPv6 neighbour advertisement sent for a VIP. */
        REPLY_SENT,
        /** Half-open flows evicted to make room (not frames). */
        EVICTED,
        /** UDP flows of few datagrams evicted to make room (not frames). */
        UDP_EVICTED,
        /**
         * Connections this worker carries on without having seen their SYN (not frame outcomes: the frame is also
         * forwarded): handed over (a saved table, an upgrade, the other director's sync) or scheduled mid-flow.
         */
        CARRIED_ON
    }

    public static Kind kind(int counter) {
        return switch (counter) {
            case FrameParser.TCP, FrameParser.UDP, FrameParser.ARP, FrameParser.NEIGHBOUR_SOLICITATION -> Kind.FRAME;
            case RECEIVED -> Kind.RECEIVED;
            case FORWARDED -> Kind.FORWARDED;
            case SENT_THROUGH_AF_XDP -> Kind.SENT_THROUGH_AF_XDP;
            case DELIVERED_LOCALLY -> Kind.DELIVERED_LOCALLY;
            case ARP_REPLIES_SENT, NEIGHBOUR_ADVERTISEMENTS_SENT, FRAGMENTATION_NEEDED_SENT -> Kind.REPLY_SENT;
            case HALF_OPEN_EVICTED -> Kind.EVICTED;
            case UDP_EVICTED -> Kind.UDP_EVICTED;
            case INHERITED_FLOW_TAKEN, MID_FLOW_SCHEDULED -> Kind.CARRIED_ON;
            default -> Kind.DROPPED;
        };
    }

    /**
     * The counter's name without its prefix: a drop's reason ({@code no-service}, {@code truncated}...), a frame's
     * kind ({@code tcp}), a reply's kind ({@code arp}, {@code neighbour-advertisement}).
     */
    public static String reason(int counter) {
        return switch (counter) {
            case ARP_REPLIES_SENT -> "arp";
            case NEIGHBOUR_ADVERTISEMENTS_SENT -> "neighbour-advertisement";
            case FRAGMENTATION_NEEDED_SENT -> "fragmentation-needed";
            case INHERITED_FLOW_TAKEN -> "handed-over";
            case MID_FLOW_SCHEDULED -> "scheduled-mid-flow";
            default -> name(counter).replaceFirst("^(frames|dropped)-", "");
        };
    }

    public static String name(int counter) {
        if (counter < FrameParser.VERDICTS) {
            return "frames-" + FrameParser.verdictName(counter);
        }
        return switch (counter) {
            case FORWARDED -> "forwarded";
            case NOT_FOR_THIS_HOST -> "dropped-not-for-this-host";
            case NO_SERVICE -> "dropped-no-service";
            case UNKNOWN_FLOW_NOT_SYN -> "dropped-unknown-flow-not-syn";
            case NO_DESTINATION -> "dropped-no-destination";
            case MAC_UNRESOLVED -> "dropped-mac-unresolved";
            case FLOW_TABLE_FULL -> "dropped-flow-table-full";
            case SEND_FAILED -> "send-failed";
            case ARP_REPLIES_SENT -> "arp-replies-sent";
            case RECEIVED -> "received";
            case HALF_OPEN_EVICTED -> "flows-half-open-evicted";
            case UDP_EVICTED -> "flows-udp-evicted";
            case DELIVERED_LOCALLY -> "delivered-locally";
            case LOCAL_DELIVERY_FAILED -> "local-delivery-failed";
            case NEIGHBOUR_ADVERTISEMENTS_SENT -> "neighbour-advertisements-sent";
            case FRAGMENTATION_NEEDED_SENT -> "fragmentation-needed-sent";
            case TOO_BIG -> "dropped-too-big";
            case TUNNEL_TTL_EXPIRED -> "dropped-ipip-ttl-expired";
            case TUNNEL_FAMILY_MISMATCH -> "dropped-ipip-family-mismatch";
            case INHERITED_FLOW_TAKEN -> "inherited-flows-taken";
            case INHERITED_FLOW_WAITING -> "dropped-inherited-flow-waiting";
            case MID_FLOW_SCHEDULED -> "mid-flow-scheduled";
            case HELD -> "dropped-held";
            case UDP_COALESCED_NOT_TUNNELLED -> "dropped-ipip-udp-coalesced";
            case RECEIVE_RING_FULL -> "dropped-receive-ring-full";
            case SENT_THROUGH_AF_XDP -> "sent-through-af-xdp";
            case INTERNAL_ERROR -> "dropped-internal-error";
            default -> "unknown";
        };
    }
}
