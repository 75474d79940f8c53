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
    /** Not a drop: a connection scheduled elsewhere (a saved table, an upgrade, the other director) taken in. */
    public static final int INHERITED_FLOW_TAKEN = FORWARDED + 14;
    /**
     * A packet of a connection handed over whose real server is not (yet) in the service, or the flow table was
     * full: dropped, the connection kept until its deadline.
     */
    public static final int INHERITED_FLOW_WAITING = FORWARDED + 15;
    /** Not a drop: a mid-flow packet of an unknown connection scheduled as a new one (sloppytcp=yes). */
    public static final int MID_FLOW_SCHEDULED = FORWARDED + 16;
    /**
     * A frame received while the workers are held ({@link DrDataPlane#hold}): during an upgrade's hand-over the
     * other lbd process forwards (or, for the instant of the hand-over, neither), so this one drops everything.
     */
    public static final int HELD = FORWARDED + 17;
    public static final int COUNT = FORWARDED + 18;

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
            case DELIVERED_LOCALLY -> "delivered-locally";
            case LOCAL_DELIVERY_FAILED -> "local-delivery-failed";
            case NEIGHBOUR_ADVERTISEMENTS_SENT -> "neighbour-advertisements-sent";
            case INHERITED_FLOW_TAKEN -> "inherited-flows-taken";
            case INHERITED_FLOW_WAITING -> "dropped-inherited-flow-waiting";
            case MID_FLOW_SCHEDULED -> "mid-flow-scheduled";
            case HELD -> "dropped-held";
            default -> "unknown";
        };
    }
}
