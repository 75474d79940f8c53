package lbd.director.listing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.RealServerStats;

/**
 * One virtual service as a listing shows it.
 *
 * @param key          protocol and VIP:port
 * @param scheduler    the effective scheduler's ipvsadm name (an {@code lbadm -E -s} edit wins)
 * @param persistence  persistent=N seconds, if set
 * @param netmask      the persistence netmask as ipvsadm lists it (VirtualService.listedNetmask)
 * @param stats        totals over the service's real servers
 * @param rates        totals of the rates
 * @param destinations the real servers of the live table
 * @param heldOut      configured real servers a health check took out of the table
 * @param schedulerFlags the scheduler flags as ipvsadm names them ("sh-fallback,sh-port"), empty when none
 */
public record ServiceView(VirtualServiceKey key, String scheduler, OptionalInt persistence, Optional<String> netmask,
                          RealServerStats stats, Rates rates, List<DestinationView> destinations,
                          List<HeldOutView> heldOut, String schedulerFlags) {

    /** A service without scheduler flags. */
    public ServiceView(VirtualServiceKey key, String scheduler, OptionalInt persistence, Optional<String> netmask,
                       RealServerStats stats, Rates rates, List<DestinationView> destinations,
                       List<HeldOutView> heldOut) {
        this(key, scheduler, persistence, netmask, stats, rates, destinations, heldOut, "");
    }

    public ServiceView {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(netmask, "netmask");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(rates, "rates");
        destinations = List.copyOf(destinations);
        heldOut = List.copyOf(heldOut);
        Objects.requireNonNull(schedulerFlags, "schedulerFlags");
    }
}
