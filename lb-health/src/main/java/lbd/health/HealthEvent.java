package lbd.health;

import java.time.Instant;
import java.util.Objects;

import lbd.config.model.RealServerKey;

/**
 * A real server changed state (or got its first verdict, which is always reported once).
 *
 * @param server      which real server of which virtual service
 * @param state       its new state
 * @param reason      why: {@code negotiate: receive "found" not matched (HTTP 200, 4 KB)}, {@code maintenance}
 * @param maintenance whether it is down because of a file in maintenancedir
 * @param at          when the monitor saw it
 */
public record HealthEvent(RealServerKey server, HealthState state, String reason, boolean maintenance, Instant at) {

    public HealthEvent {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(at, "at");
    }

    /** The log line: {@code 198.18.0.12:80 down: connect: connection refused [virtual TCP 198.18.0.1:80]}. */
    public String describe() {
        return server.address() + " " + state.word() + ": " + reason + " [virtual " + server.service() + "]";
    }
}
