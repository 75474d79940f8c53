package lbd.director.listing;

import java.util.Objects;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.dataplane.counter.RealServerStats;

/**
 * One real server as a listing shows it.
 *
 * @param address    RIP:port
 * @param forwarding Route, Masq or Tunnel
 * @param weight     the effective weight (0 while a health check holds a quiescent server down)
 * @param stats      its counters summed over every worker (ActiveConn, InActConn, Conns, packets, bytes)
 * @param rates      its rates over the last estimator interval
 * @param note       what lbd adds after ipvsadm's columns ("down: ...", "weight set by lbadm"); empty when none
 * @param up         the health verdict (a quiescent server held down by its check is listed with weight 0)
 * @param persistConns the persistence templates that send clients to it (ipvsadm's PersistConn)
 * @param thresholds its connection thresholds for the whole director (ipvsadm's Uthreshold and Lthreshold)
 */
public record DestinationView(Endpoint address, ForwardingMethod forwarding, int weight, RealServerStats stats,
                              Rates rates, String note, boolean up, int persistConns,
                              ConnectionThresholds thresholds) {

    /** A real server without connection thresholds. */
    public DestinationView(Endpoint address, ForwardingMethod forwarding, int weight, RealServerStats stats,
                           Rates rates, String note, boolean up, int persistConns) {
        this(address, forwarding, weight, stats, rates, note, up, persistConns, ConnectionThresholds.NONE);
    }

    /** A real server no template points at. */
    public DestinationView(Endpoint address, ForwardingMethod forwarding, int weight, RealServerStats stats,
                           Rates rates, String note, boolean up) {
        this(address, forwarding, weight, stats, rates, note, up, 0);
    }

    /**
     * What the status page calls its state: {@code fallback} (the fallback server, in use), {@code down} (a failed
     * check holds it at weight 0), {@code drained} (up, weight 0: lbadm -w 0 or weight 0 in the file), else
     * {@code up}. A server a check took out of the table is a {@link HeldOutView} ({@code held out}).
     */
    public String state() {
        if (note.equals(TableViews.FALLBACK_NOTE)) {
            return "fallback";
        }
        if (!up) {
            return "down";
        }
        return weight == 0 ? "drained" : "up";
    }

    public DestinationView {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(forwarding, "forwarding");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(rates, "rates");
        Objects.requireNonNull(note, "note");
        Objects.requireNonNull(thresholds, "thresholds");
    }
}
