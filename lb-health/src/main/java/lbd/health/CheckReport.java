package lbd.health;

import lbd.config.model.RealServerKey;

/**
 * What a checker tells the monitor when something an operator can see changed (see {@link PublishedVerdict}):
 * the monitor logs state changes, knows when every server of a service has been looked at (before it considers
 * the fallback), and publishes the reason. Probe durations do not travel here (see {@link LastCheck}).
 *
 * @param checkerId   which checker instance (a reload may have retired it; the monitor then ignores it)
 * @param server      the real server
 * @param state       its state after this check
 * @param reason      the probe's detail, or "maintenance"
 * @param maintenance down because of maintenancedir
 * @param changed     the state changed with this check
 */
record CheckReport(long checkerId, RealServerKey server, HealthState state, String reason, boolean maintenance,
                   boolean changed) {
}
