package lbd.director.listing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.director.core.Transition;
import lbd.director.ha.HaStatus;

/**
 * What the status page shows, captured at one moment: the table as {@code lbadm -L} sees it, plus each real
 * server's last check, the rate history behind the sparklines, the latest transitions, HA and direct routing.
 *
 * @param version        lbd's name and version
 * @param at             when it was captured
 * @param table          services, real servers (state, weight, connections, counters, rates), held-out servers
 * @param lastCheck      how long each real server's last health check took
 * @param history        each real server's rates over the last minutes, oldest first
 * @param checkIntervals each service's checkinterval
 * @param transitions    the latest health and fallback transitions, oldest first
 * @param ha             this node of an HA pair, when lbd runs with --ha
 * @param directRouting  the DR data plane, when a gate service runs
 */
public record StatusView(String version, Instant at, TableView table, Map<RealServerKey, Duration> lastCheck,
                         Map<RealServerKey, RateHistory.Series> history, Map<VirtualServiceKey, Duration> checkIntervals,
                         List<Transition> transitions, Optional<HaStatus> ha,
                         Optional<DirectRoutingView> directRouting) {

    public StatusView {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(table, "table");
        lastCheck = Map.copyOf(lastCheck);
        history = Map.copyOf(history);
        checkIntervals = Map.copyOf(checkIntervals);
        transitions = List.copyOf(transitions);
        Objects.requireNonNull(ha, "ha");
        Objects.requireNonNull(directRouting, "directRouting");
    }
}
