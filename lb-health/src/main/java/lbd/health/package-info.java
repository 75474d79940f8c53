/**
 * Health checks of real servers, with ldirectord's semantics (checktype, service, failurecount, quiescent,
 * fallback, fallbackcommand, maintenancedir).
 *
 * <p>How the director wires it (lb-health never sees the data plane):
 * <pre>{@code
 * HealthMonitor health = new HealthMonitor(listener).start();
 * health.apply(config);                       // on start and on every reload
 * // listener.onTransition / onFallback run on the monitor's event thread: hand them to the director's thread,
 * // which keeps each server's verdict and builds the tables from them (ldirectord's quiescent and fallback
 * // rules are the director's TableFactory: lb-health says up or down, not weights).
 * health.close();                             // on stop
 * }</pre>
 */
package lbd.health;
