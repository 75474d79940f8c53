package lbd.director.ha;

import java.time.Duration;

/** What the state machine decided on one input; the node acts on these and logs each with its reason. */
public sealed interface HaEvent {

    /** This node's role changed. */
    record RoleChanged(HaRole from, HaRole to, String reason) implements HaEvent {
    }

    /** What this node knows of the peer changed. */
    record PeerChanged(PeerState from, PeerState to, String reason) implements HaEvent {
    }

    /** The peer has been silent for warntime (logged once per silence). */
    record LateHeartbeat(String peer, Duration silence) implements HaEvent {
    }
}
