package lbd.dataplane.table;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import lbd.config.model.MaglevTableSize;
import lbd.config.model.NatOptions;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.persist.Persistence;

/**
 * An immutable snapshot of one virtual service for the data plane, built by the control plane only.
 * Workers read it; they never change it.
 *
 * @param key            protocol + VIP:port
 * @param scheduler      any of IPVS's
 * @param destinations   the real servers that may be scheduled, in IPVS list order (last added first);
 *                       a server a health check removed (quiescent=no) is absent; a quiescent one has weight 0
 * @param fallback       the server used when no destination has weight > 0 (index
 *                       {@link Destination#FALLBACK_INDEX})
 * @param maxConnections cap on concurrent connections per service across all workers (0 = none)
 * @param connectTimeout bound on connecting to a real server (NAT)
 * @param idleTimeout    a proxied connection (a udp flow) with no traffic for this long is closed (NAT): the service's
 *                       idletimeout=, else its default (for udp, the udp timeout in force)
 * @param persistence    persistent= and netmask=, with the service's templates; empty when not persistent
 * @param schedulerFlags schedflags= (sh and mh read them)
 * @param mhTableSize    mhtablesize=: the slots of mh's table (one of the kernel's primes)
 * @param alsoListen     alsolisten=: more VIP:ports of this service (it is looked up by them too); a connection
 *                       accepted on one goes to its real server at that port
 * @param nat            proxyprotocol=, acceptproxy=, transparent= (NAT): what the real server learns of the client
 */
public record ServiceTable(
        VirtualServiceKey key,
        SchedulerKind scheduler,
        List<Destination> destinations,
        Optional<Destination> fallback,
        int maxConnections,
        Duration connectTimeout,
        Duration idleTimeout,
        Optional<Persistence> persistence,
        SchedulerFlags schedulerFlags,
        int mhTableSize,
        List<VirtualServiceKey> alsoListen,
        NatOptions nat) {

    /** A table on its one VIP:port, without NAT options. */
    public ServiceTable(VirtualServiceKey key, SchedulerKind scheduler, List<Destination> destinations,
                        Optional<Destination> fallback, int maxConnections, Duration connectTimeout,
                        Duration idleTimeout, Optional<Persistence> persistence, SchedulerFlags schedulerFlags,
                        int mhTableSize) {
        this(key, scheduler, destinations, fallback, maxConnections, connectTimeout, idleTimeout, persistence,
                schedulerFlags, mhTableSize, List.of());
    }

    /** A table without NAT options. */
    public ServiceTable(VirtualServiceKey key, SchedulerKind scheduler, List<Destination> destinations,
                        Optional<Destination> fallback, int maxConnections, Duration connectTimeout,
                        Duration idleTimeout, Optional<Persistence> persistence, SchedulerFlags schedulerFlags,
                        int mhTableSize, List<VirtualServiceKey> alsoListen) {
        this(key, scheduler, destinations, fallback, maxConnections, connectTimeout, idleTimeout, persistence,
                schedulerFlags, mhTableSize, alsoListen, NatOptions.NONE);
    }

    /** A table with the kernel's default mh table size, without NAT options. */
    public ServiceTable(VirtualServiceKey key, SchedulerKind scheduler, List<Destination> destinations,
                        Optional<Destination> fallback, int maxConnections, Duration connectTimeout,
                        Duration idleTimeout, Optional<Persistence> persistence, SchedulerFlags schedulerFlags) {
        this(key, scheduler, destinations, fallback, maxConnections, connectTimeout, idleTimeout, persistence,
                schedulerFlags, MaglevTableSize.DEFAULT);
    }

    /** A table of a service that is not persistent, without scheduler flags. */
    public ServiceTable(VirtualServiceKey key, SchedulerKind scheduler, List<Destination> destinations,
                        Optional<Destination> fallback, int maxConnections, Duration connectTimeout,
                        Duration idleTimeout) {
        this(key, scheduler, destinations, fallback, maxConnections, connectTimeout, idleTimeout, Optional.empty());
    }

    /** A table without scheduler flags. */
    public ServiceTable(VirtualServiceKey key, SchedulerKind scheduler, List<Destination> destinations,
                        Optional<Destination> fallback, int maxConnections, Duration connectTimeout,
                        Duration idleTimeout, Optional<Persistence> persistence) {
        this(key, scheduler, destinations, fallback, maxConnections, connectTimeout, idleTimeout, persistence,
                SchedulerFlags.NONE);
    }

    public ServiceTable {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(scheduler, "scheduler");
        destinations = List.copyOf(destinations);
        for (int i = 0; i < destinations.size(); i++) {
            if (destinations.get(i).index() != i) {
                throw new IllegalArgumentException("destination " + destinations.get(i) + " is not at index " + i);
            }
        }
        Objects.requireNonNull(fallback, "fallback");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(schedulerFlags, "schedulerFlags");
        alsoListen = List.copyOf(alsoListen);
        if (MaglevTableSize.configIndex(mhTableSize) < 0) {
            throw new IllegalArgumentException("mh table size " + mhTableSize + " is not one of the kernel's");
        }
        Objects.requireNonNull(nat, "nat");
    }

    /**
     * Whether new connections go to the fallback: it is configured and no destination has weight above 0 (all
     * down, quiescent or drained). The schedulers return no destination in exactly that case; listings say so.
     */
    public boolean fallbackInUse() {
        if (fallback.isEmpty()) {
            return false;
        }
        for (Destination d : destinations) {
            if (d.weight() > 0) {
                return false;
            }
        }
        return true;
    }
}
