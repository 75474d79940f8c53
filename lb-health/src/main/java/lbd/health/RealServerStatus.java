package lbd.health;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import lbd.config.model.RealServer;

/**
 * What the monitor knows about one real server, as published in {@link ServiceHealth}.
 *
 * <p>Everything but the probe duration is a snapshot, replaced when it changes. The probe duration is read
 * live from the server's checker ({@link LastCheck}), so that a steady server publishes nothing per check.
 *
 * @param server      the configured real server (its weight is the one to use when UP)
 * @param state       UP or DOWN
 * @param reason      the last verdict's reason ({@code not checked yet} before the first check)
 * @param maintenance DOWN because of a file in maintenancedir
 * @param checked     at least one check has completed (or the checktype needs none)
 * @param timing      the server's probe duration, updated in place by its checker
 */
public record RealServerStatus(RealServer server, HealthState state, String reason, boolean maintenance,
                               boolean checked, LastCheck timing) {

    public RealServerStatus {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(timing, "timing");
    }

    /** A status with a fixed probe duration. */
    public RealServerStatus(RealServer server, HealthState state, String reason, boolean maintenance,
                            boolean checked, Optional<Duration> lastCheck) {
        this(server, state, reason, maintenance, checked, LastCheck.of(lastCheck));
    }

    /** A status without a probe duration. */
    public RealServerStatus(RealServer server, HealthState state, String reason, boolean maintenance,
                            boolean checked) {
        this(server, state, reason, maintenance, checked, LastCheck.none());
    }

    /**
     * How long the last probe took, as of now: empty before the first one, and with checktype on/off; a
     * maintenance period runs no probe and keeps the previous value.
     */
    public Optional<Duration> lastCheck() {
        return timing.duration();
    }

    /** Every probe's duration since the server is checked, in buckets (empty with checktype on/off). */
    public CheckDurations checkDurations() {
        return timing.durations();
    }

    RealServerStatus withServer(RealServer newServer) {
        return new RealServerStatus(newServer, state, reason, maintenance, checked, timing);
    }
}
