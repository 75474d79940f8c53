package lbd.director.ha;

/** What this node knows of its peer. */
public enum PeerState {
    /** Not heard from since this node started. */
    UNKNOWN,
    /** Heard from within deadtime. */
    ALIVE,
    /** Silent for deadtime, or said it was leaving. */
    DEAD
}
