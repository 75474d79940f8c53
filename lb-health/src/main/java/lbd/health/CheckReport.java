package lbd.health;

import java.time.Duration;
import java.util.Optional;

import lbd.config.model.RealServerKey;

/**
 * What a checker tells the monitor after every check: the monitor logs state changes, knows when every server
 * of a service has been looked at (before it considers the fallback), and publishes how long the probe took.
 *
 * @param checkerId   which checker instance (a reload may have retired it; the monitor then ignores it)
 * @param server      the real server
 * @param state       its state after this check
 * @param reason      the probe's detail, or "maintenance"
 * @param maintenance down because of maintenancedir
 * @param changed     the state changed with this check
 * @param duration    how long the probe took (empty in maintenance: no probe ran)
 */
record CheckReport(long checkerId, RealServerKey server, HealthState state, String reason, boolean maintenance,
                   boolean changed, Optional<Duration> duration) {
}
