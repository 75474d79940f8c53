package lbd.director.control;

import java.util.Optional;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.director.core.ServiceSettings;
import lbd.director.listing.DirectRoutingView;
import lbd.director.listing.TableView;

/**
 * What the control socket can ask of the daemon. The director implements it by running each call on its
 * control thread; a call that cannot be carried out throws {@link ControlException} with ipvsadm's wording where
 * one exists ("No such destination", "Service not defined", "Destination already exists").
 */
public interface ControlHandler {

    /** The live table, captured at one moment, with counters since the daemon started (metrics). */
    TableView view();

    /**
     * The live table as {@code lbadm -L} lists it: counters since the last {@code -Z} of their service (or since
     * the start), as ipvsadm's.
     */
    TableView listing();

    /**
     * The direct-routing data plane's counters, flow tables and neighbour states ({@code lbadm -L --json}'s
     * {@code directRouting}); empty when no gate service runs.
     */
    default Optional<DirectRoutingView> directRouting() {
        return Optional.empty();
    }

    /**
     * {@code lbadm -Lc}: the connection table — proxied connections, DR flows, persistence templates — sorted and
     * cut at {@link lbd.director.listing.ConnectionListing#LIMIT}, with how many there are in all.
     */
    ConnectionEntries connections();

    /** {@code lbadm -L --timeout}: the connection timeouts in force. */
    ConnectionTimeouts timeouts();

    /** {@code lbadm --set tcp tcpfin udp}: seconds, 0 leaving a timeout as it is; returns what is now in force. */
    ConnectionTimeouts setTimeouts(int tcp, int tcpFin, int udp);

    /** {@code lbadm -Z [-t|-u VIP:port]}: zero the listing's counters and rates of one service, or of all. */
    void zero(Optional<VirtualServiceKey> service);

    /** {@code lbadm -e -t VIP:port -r RIP:port -w N [-g|-m|-i] [-x U] [-y L]}: a new weight and connection
     * thresholds until the next reload (weight 0 drains); a forwarding switch is checked against the server's,
     * since lbd cannot change it. */
    void setWeight(RealServerKey server, int weight, Optional<ForwardingMethod> forwarding,
                   ConnectionThresholds thresholds);

    /** {@code lbadm -a}: a real server added until the next reload; it is health-checked like the others. */
    void addServer(RealServerKey server, ForwardingMethod forwarding, int weight, ConnectionThresholds thresholds);

    /** {@code lbadm -d}: no new connections to it until the next reload; open ones finish. */
    void deleteServer(RealServerKey server);

    /** {@code lbadm -E -s NAME}: the service's scheduler until the next reload. */
    void setScheduler(VirtualServiceKey service, SchedulerKind scheduler);

    /** {@code lbadm -A}: a virtual service with no real servers until the next reload ("Service already exists"). */
    void addService(ServiceSettings settings);

    /** {@code lbadm -E}: a service's scheduler, persistence, netmask and flags, as given ("No such service"). */
    void editService(ServiceSettings settings);

    /** {@code lbadm -D}: a virtual service leaves the table until the next reload ("No such service"). */
    void deleteService(VirtualServiceKey service);

    /** {@code lbadm -C}: every virtual service leaves the table until the next reload. */
    void clear();

    /** {@code lbadm --reload}: re-reads the configuration file; returns a one-line summary. */
    String reload();

    /**
     * {@code lbd upgrade}: a new lbd takes over from this one; returns once it serves, with what to do once the reply
     * is sent (drain open connections for at most {@code drain}, and exit). Refused (ControlException) where there is nothing to upgrade.
     */
    default Upgraded upgrade(java.time.Duration drain) {
        throw new ControlException("this lbd cannot be upgraded in place");
    }

    /** A hand-over done: the reply's summary, and the old process's stop, to run once the reply is sent. */
    record Upgraded(String summary, Runnable afterReply) {
    }
}
