package lbd.dataplane.table;

import java.util.Objects;
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
 */
public record Destination(int index, RealServerKey key, ForwardingMethod forwarding, int weight) {

    /** The index of a fallback server: it is not one of the scheduled destinations. */
    public static final int FALLBACK_INDEX = -1;

    public Destination {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(forwarding, "forwarding");
        if (weight < 0) {
            throw new IllegalArgumentException("weight < 0: " + weight);
        }
    }

    public Endpoint address() {
        return key.address();
    }
}
