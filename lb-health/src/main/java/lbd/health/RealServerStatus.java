package lbd.health;

import java.util.Objects;

import lbd.config.model.RealServer;

/**
 * What the monitor knows about one real server, as published in {@link ServiceHealth}.
 *
 * @param server      the configured real server (its weight is the one to use when UP)
 * @param state       UP or DOWN
 * @param reason      the last verdict's reason ({@code not checked yet} before the first check)
 * @param maintenance DOWN because of a file in maintenancedir
 * @param checked     at least one check has completed (or the checktype needs none)
 */
public record RealServerStatus(RealServer server, HealthState state, String reason, boolean maintenance,
                               boolean checked) {

    public RealServerStatus {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }

    RealServerStatus withServer(RealServer newServer) {
        return new RealServerStatus(newServer, state, reason, maintenance, checked);
    }
}
