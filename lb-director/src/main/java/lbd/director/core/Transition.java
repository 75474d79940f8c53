package lbd.director.core;

import java.time.Instant;
import java.util.Objects;
import lbd.config.model.VirtualServiceKey;
import lbd.health.HealthEvent;

/**
 * A health or fallback transition, as the status page lists the latest ones.
 *
 * @param at      when the health monitor saw it
 * @param service the virtual service
 * @param server  the real server (RIP:port), or the fallback server ("" when the service has none)
 * @param state   {@code up}, {@code down}, {@code fallback active}, {@code fallback withdrawn}
 * @param reason  why (the check's verdict), "" for a fallback change
 */
public record Transition(Instant at, VirtualServiceKey service, String server, String state, String reason) {

    public Transition {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }

    static Transition of(HealthEvent e) {
        return new Transition(e.at(), e.server().service(), e.server().address().toString(), e.state().word(),
                e.reason());
    }

    static Transition fallback(VirtualServiceKey service, boolean active, Instant at) {
        return new Transition(at, service, "", active ? "fallback active" : "fallback withdrawn", "");
    }
}
