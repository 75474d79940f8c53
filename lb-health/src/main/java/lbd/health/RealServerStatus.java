package lbd.health;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import lbd.config.model.RealServer;

/**
 * What the monitor knows about one real server, as published in {@link ServiceHealth}.
 *
 * @param server      the configured real server (its weight is the one to use when UP)
 * @param state       UP or DOWN
 * @param reason      the last verdict's reason ({@code not checked yet} before the first check)
 * @param maintenance DOWN because of a file in maintenancedir
 * @param checked     at least one check has completed (or the checktype needs none)
 * @param lastCheck   how long the last probe took (empty before the first one, and with checktype on/off);
 *                    a maintenance period runs no probe and keeps the previous value
 */
public record RealServerStatus(RealServer server, HealthState state, String reason, boolean maintenance,
                               boolean checked, Optional<Duration> lastCheck) {

    public RealServerStatus {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(lastCheck, "lastCheck");
    }

    /** A status without a probe duration. */
    public RealServerStatus(RealServer server, HealthState state, String reason, boolean maintenance,
                            boolean checked) {
        this(server, state, reason, maintenance, checked, Optional.empty());
    }

    RealServerStatus withServer(RealServer newServer) {
        return new RealServerStatus(newServer, state, reason, maintenance, checked, lastCheck);
    }
}
