package lbd.director.ha;

import java.time.Instant;

/**
 * A snapshot of one node's HA state, published by the HA thread for lbadm and metrics (read from any thread).
 *
 * @param node        this node
 * @param role        its role
 * @param since       when it took that role
 * @param reason      why it took it
 * @param peer        the peer's name
 * @param peerState   what this node knows of the peer
 * @param peerRole    the peer's last announced role, or null before it was heard
 * @param transitions role changes since start
 * @param dropped     heartbeats dropped (malformed, forged, replayed, unknown node)
 */
public record HaStatus(String node, HaRole role, Instant since, String reason, String peer, PeerState peerState,
                       HaRole peerRole, long transitions, long dropped) {

    /** One line for lbadm, e.g. {@code HA: lvs-ldir02 active since ... (taking over: peer lvs-ldir01 is dead); peer lvs-ldir01 dead}. */
    public String describe() {
        return "HA: " + node + " " + lower(role) + " since " + since + " (" + reason + "); peer " + peer + " "
                + lower(peerState) + (peerRole != null && peerState == PeerState.ALIVE ? " (" + lower(peerRole) + ")" : "")
                + "; " + transitions + (transitions == 1 ? " transition" : " transitions")
                + (dropped > 0 ? ", " + dropped + " heartbeats dropped" : "");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }
}
