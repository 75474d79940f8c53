package lbd.health;

import java.util.Objects;

/**
 * A real server's verdict as the process before this one had it ({@code lbd upgrade}): the new monitor starts
 * the server's checks from it — same state, counted as checked — instead of from "not checked yet", so the
 * hand-over opens no window in which a server that was down gets traffic, or one that was up waits for a check.
 *
 * @param state       UP or DOWN
 * @param reason      the verdict's reason, as listings show it
 * @param maintenance DOWN because of a file in maintenancedir
 */
public record InheritedVerdict(HealthState state, String reason, boolean maintenance) {

    public InheritedVerdict {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }
}
