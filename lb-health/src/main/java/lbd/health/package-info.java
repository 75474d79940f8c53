/**
 * Health checks of real servers, with ldirectord's semantics (checktype, service, failurecount, quiescent,
 * fallback, fallbackcommand, maintenancedir).
 *
 * <p>How the director wires it (lb-health never sees the data plane):
 * <pre>{@code
 * HealthMonitor health = new HealthMonitor(listener).start();
 * health.apply(config);                       // on start and on every reload
 * // listener.onTransition / onFallback run on the monitor's event thread: hand them to the director's thread,
 * // which then reads health.service(key).orElseThrow().effectiveMembers() (server + weight, fallback included
 * // when active) and builds the new table snapshot.
 * health.close();                             // on stop
 * }</pre>
 */
package lbd.health;
