package lbd.director.ha;

import java.util.Objects;

/**
 * One heartbeat, as signed on the wire.
 *
 * @param node          the sender's node name
 * @param generation    the sender's start time (epoch ms): a restarted node counts its sequence from a new generation
 * @param sequence      increases by one per message within a generation
 * @param role          the sender's role when it sent this
 * @param timestampMillis the sender's wall clock when it sent this (for logs and operators)
 */
public record HeartbeatMessage(String node, long generation, long sequence, HaRole role, long timestampMillis) {

    public HeartbeatMessage {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(role, "role");
    }
}
