package lbd.director.listing;

import java.util.Objects;
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
 */
public record DestinationView(Endpoint address, ForwardingMethod forwarding, int weight, RealServerStats stats,
                              Rates rates, String note, boolean up) {

    public DestinationView {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(forwarding, "forwarding");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(rates, "rates");
        Objects.requireNonNull(note, "note");
    }
}
