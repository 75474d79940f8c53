package lbd.director.core;

import java.util.Objects;

/**
 * What the control plane knows about one real server beyond its configuration: the health verdict and the
 * reason for it. Immutable; replaced on every transition.
 *
 * @param up     the last verdict of the health checks (true for checktype=on)
 * @param reason why it is in that state, for logs and listings ("negotiate: receive not matched", ...)
 */
public record RealServerState(boolean up, String reason) {

    /**
     * A configured server before its first check: in service, as HAProxy's default {@code init-state up} has it
     * (and as ldirectord finds servers IPVS already holds at weight > 0). From the moment a VIP listens, no client
     * is reset for want of a verdict; the first check decides at once (a failed first check takes the server out
     * whatever failurecount says), and on NAT a refused connect meanwhile is retried on another server.
     */
    public static final RealServerState UNCHECKED = new RealServerState(true, "not checked yet");
    public static final RealServerState ALWAYS_UP = new RealServerState(true, "checktype=on");
    /** checktype=off: never in service (quiescent: weight 0). */
    public static final RealServerState ALWAYS_DOWN = new RealServerState(false, "checktype=off");

    public RealServerState {
        Objects.requireNonNull(reason, "reason");
    }
}
