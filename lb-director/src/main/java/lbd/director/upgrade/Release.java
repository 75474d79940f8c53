package lbd.director.upgrade;

/**
 * What the old process of {@code lbd upgrade} lets go of at "released", once its direct-routing workers are held:
 * their connections and templates ({@link DrFlowHandOver}), and for an HA node its state and heartbeat socket, for
 * the new process to carry the node on (lbd.director.ha.HaNode's hand-over).
 *
 * @param drFlows  the DR connections and templates, in the flow table's format; empty when none
 * @param haState  the HA node's state as text, or null when this lbd is no HA node
 * @param haSocket the heartbeat socket's descriptor (a copy, closed once sent; in the new process, its own), or -1
 */
public record Release(byte[] drFlows, String haState, int haSocket) {

    /** No DR connections, no HA node. */
    public static Release of(byte[] drFlows) {
        return new Release(drFlows, null, -1);
    }
}
