package lbd.director.core;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.dataplane.table.Egress;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.ServiceTableBuilder;

/**
 * Turns the desired state of one virtual service into its data-plane table, with ldirectord's rules:
 * a server that is up gets its weight (an lbadm edit wins over the file, for the weight and for the connection
 * thresholds alike; lbadm's scheduler is in {@code vs}); a server that is down gets
 * weight 0 when the service is quiescent (existing connections go on, no new ones) and is left out
 * otherwise. The fallback is used by the data plane only while no server has weight above 0.
 */
final class TableFactory {

    private TableFactory() {
    }

    /**
     * @param states each real server's state (health, and for gate servers the MAC hold)
     * @param egress where each gate or ipip server's packets go ({@code Egress.UNRESOLVED} while not resolved)
     * @param previous the table published for the service before, or null: what it carries on (persistence
     *                 templates, each server's last weight) goes on in the new one
     * @param timeouts the connection timeouts in force (lbadm --set): a udp service without idletimeout= takes
     *                 their udp one for its NAT flows
     */
    static ServiceTable build(VirtualService vs, Function<RealServerKey, RealServerState> states, RuntimeEdits edits,
            Function<RealServerKey, Egress> egress, ServiceTable previous, ConnectionTimeouts timeouts) {
        Map<RealServerKey, Integer> weights = new HashMap<>();
        Set<RealServerKey> removed = new HashSet<>();
        Set<RealServerKey> down = new HashSet<>();
        for (RealServer rs : vs.realServers()) {
            RealServerState state = states.apply(rs.key());
            int weight = edits.weight(rs.key()).orElse(rs.weight());
            if (state.up()) {
                weights.put(rs.key(), weight);
            } else if (vs.quiescent()) {
                weights.put(rs.key(), 0);
                down.add(rs.key());
            } else {
                removed.add(rs.key());
            }
        }
        return ServiceTableBuilder.build(vs, vs.scheduler(), weights, edits.thresholds(), removed, egress, down,
                previous, timeouts);
    }
}
