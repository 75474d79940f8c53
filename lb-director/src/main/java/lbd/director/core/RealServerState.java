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

    public static final RealServerState UNCHECKED = new RealServerState(false, "not checked yet");
    public static final RealServerState ALWAYS_UP = new RealServerState(true, "checktype=on");

    public RealServerState {
        Objects.requireNonNull(reason, "reason");
    }
}
