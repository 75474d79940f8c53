package lbd.dataplane.table;

import java.util.Objects;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServerKey;

/**
 * A real server as one published table sees it: its identity, where to send, and its effective weight
 * (configured weight, or a run-time edit, or 0 when a health check holds it quiescent).
 * Weight 0 is never chosen for a new connection.
 *
 * @param index position in {@link ServiceTable#destinations()} (IPVS list order), or {@link #FALLBACK_INDEX}
 *              for a table's fallback server, which is not in the list
 * @param egress where a gate or ipip server's packets go (interface, MACs, tunnel addresses), as the control
 *              plane resolved it; {@link Egress#UNRESOLVED} for masq, and for a gate or ipip server not resolved
 *              yet (the control plane holds such a server down); {@link Egress#LOCAL_NODE} for one at an address
 *              of the director itself
 * @param down  a health check holds it (at weight 0, quiescent=yes): unlike a weight the operator set to 0, it
 *              also loses the clients persistence would send it
 * @param lastWeight IPVS's last_weight: the latest weight above 0 the server had while in this table's line of
 *              tables (0 if it never had one), carried over by the control plane; mh builds its table from it, so
 *              that quiescing a server moves nobody else, in every worker alike
 * @param thresholds its connection thresholds (ipvsadm -x/-y), for the whole director: each worker applies its
 *              share ({@link lbd.dataplane.counter.DestinationCounters#limit})
 */
public record Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight, Egress egress,
                          boolean down, int lastWeight, ConnectionThresholds thresholds) {

    /** A destination without connection thresholds. */
    public Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight, Egress egress,
                       boolean down, int lastWeight) {
        this(index, key, forwarding, weight, egress, down, lastWeight, ConnectionThresholds.NONE);
    }

    /** A destination without connection thresholds, reached at {@code mac} on the interface packets arrive on. */
    public Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight, long mac,
                       boolean down, int lastWeight) {
        this(index, key, forwarding, weight, Egress.sameLink(mac), down, lastWeight, ConnectionThresholds.NONE);
    }

    /** The index of a fallback server: it is not one of the scheduled destinations. */
    public static final int FALLBACK_INDEX = -1;

    /** No MAC address: not a gate server, or not resolved. */
    public static final long NO_MAC = 0;

    /**
     * In place of a MAC: a gate server (or fallback) at one of the director's own addresses, whose packets the
     * DR path hands to the director's own IP stack (IPVS's local node) instead of sending them on the wire.
     * Not a 48-bit MAC, so it cannot clash with a resolved one.
     */
    public static final long LOCAL_NODE = 1L << 48;

    /** A destination without a MAC address (masq; gate before resolution), not held down. */
    public Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight) {
        this(index, key, forwarding, weight, Egress.UNRESOLVED, false, weight);
    }

    /** A destination not held down by a health check, whose last weight is its weight. */
    public Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight, long mac) {
        this(index, key, forwarding, weight, mac, false, weight);
    }

    /** A destination whose last weight is its weight. */
    public Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight, long mac,
                       boolean down) {
        this(index, key, forwarding, weight, mac, down, weight);
    }

    public Destination {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(forwarding, "forwarding");
        Objects.requireNonNull(egress, "egress");
        Objects.requireNonNull(thresholds, "thresholds");
        if (weight < 0 || lastWeight < 0) {
            throw new IllegalArgumentException("weight < 0: " + weight + ", last " + lastWeight);
        }
    }

    /** The same destination with other connection thresholds. */
    public Destination withThresholds(ConnectionThresholds t) {
        return t.equals(thresholds) ? this : new Destination(index, key, forwarding, weight, egress, down, lastWeight, t);
    }

    /** The MAC the frames go to ({@link #NO_MAC}: not resolved, {@link #LOCAL_NODE}: the director itself). */
    public long mac() {
        return egress.nextHopMac();
    }

    public Endpoint address() {
        return key.address();
    }
}
