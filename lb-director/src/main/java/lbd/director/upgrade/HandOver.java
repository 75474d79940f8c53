package lbd.director.upgrade;

import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.health.InheritedVerdict;

/**
 * What the running lbd gives the one that takes over from it ({@code lbd upgrade}), before the new one serves:
 * each VIP's sockets — open descriptors, bound and listening, with the clients queued in them — and every real
 * server's health verdict.
 *
 * @param sockets  per VIP:port, the descriptors of its sockets (one per event loop of the old process); once
 *                 received, they are this process's to use or close
 * @param verdicts the checked real servers' verdicts
 */
public record HandOver(Map<VirtualServiceKey, int[]> sockets, Map<RealServerKey, InheritedVerdict> verdicts) {

    public static final HandOver NONE = new HandOver(Map.of(), Map.of());

    public HandOver {
        sockets = Map.copyOf(sockets);
        verdicts = Map.copyOf(verdicts);
    }
}
