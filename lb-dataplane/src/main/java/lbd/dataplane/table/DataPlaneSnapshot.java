package lbd.dataplane.table;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import lbd.config.model.VirtualServiceKey;

/**
 * Every service table at one moment, with a version that increases on each publication.
 * Workers compare the version they last saw with the published one and re-align only when it moved.
 *
 * <p>The control plane keeps the {@link ServiceTable} instance of every service whose table did not change, and
 * says which keys did: {@code changed} holds the services whose table is new or gone since {@code
 * previousVersion}. A worker that saw exactly {@code previousVersion} re-aligns those services only, so a health
 * flap costs each worker O(changed services); any other worker (it skipped a publication, or this is its first)
 * re-aligns everything, where instance identity still spares it the unchanged slots.
 *
 * @param version         increases with each publication
 * @param services        every service's table, also under each of its {@code alsolisten=} VIP:ports (added here)
 * @param previousVersion the version {@code changed} is relative to; {@link #NO_PREVIOUS} when not known
 * @param changed         the services whose table changed or went away since {@code previousVersion}
 * @param directRouting   the gate services' VIPs and ARP answering, for the DR workers
 * @param timeouts        the connection timeouts (ipvsadm --set), for the DR workers' flow tables
 */
public record DataPlaneSnapshot(long version, Map<VirtualServiceKey, ServiceTable> services, long previousVersion,
        Set<VirtualServiceKey> changed, DrDirectory directRouting, ConnectionTimeouts timeouts) {

    /** No delta: every worker re-aligns every service. */
    public static final long NO_PREVIOUS = Long.MIN_VALUE;

    public static final DataPlaneSnapshot EMPTY = new DataPlaneSnapshot(0, Map.of());

    public DataPlaneSnapshot {
        services = withAlsoListen(services);
        changed = Set.copyOf(changed);
        Objects.requireNonNull(directRouting, "directRouting");
        Objects.requireNonNull(timeouts, "timeouts");
        if (previousVersion != NO_PREVIOUS && previousVersion >= version) {
            throw new IllegalArgumentException("previous version " + previousVersion + " is not before " + version);
        }
    }

    /** With IPVS's default connection timeouts. */
    public DataPlaneSnapshot(long version, Map<VirtualServiceKey, ServiceTable> services, long previousVersion,
            Set<VirtualServiceKey> changed, DrDirectory directRouting) {
        this(version, services, previousVersion, changed, directRouting, ConnectionTimeouts.DEFAULTS);
    }

    /** A snapshot without a delta (start-up, tests): workers re-align every service. */
    public DataPlaneSnapshot(long version, Map<VirtualServiceKey, ServiceTable> services) {
        this(version, services, NO_PREVIOUS, Set.of(), DrDirectory.EMPTY);
    }

    /** A snapshot with a delta and no gate services. */
    public DataPlaneSnapshot(long version, Map<VirtualServiceKey, ServiceTable> services, long previousVersion,
            Set<VirtualServiceKey> changed) {
        this(version, services, previousVersion, changed, DrDirectory.EMPTY);
    }

    /** The tables under their own keys and under their alsolisten= keys (one table, one service). */
    private static Map<VirtualServiceKey, ServiceTable> withAlsoListen(Map<VirtualServiceKey, ServiceTable> services) {
        boolean any = false;
        for (ServiceTable t : services.values()) {
            any |= !t.alsoListen().isEmpty();
        }
        if (!any) {
            return Map.copyOf(services);
        }
        Map<VirtualServiceKey, ServiceTable> all = new HashMap<>(services);
        for (ServiceTable t : services.values()) {
            for (VirtualServiceKey also : t.alsoListen()) {
                all.put(also, t);
            }
        }
        return Map.copyOf(all);
    }

    /** The table of the service on {@code key}: its own VIP:port or one of its alsolisten= ones. */
    public ServiceTable service(VirtualServiceKey key) {
        return services.get(key);
    }

    /** Whether a worker that last saw {@code seenVersion} may re-align only {@link #changed()}. */
    public boolean isDeltaFrom(long seenVersion) {
        return previousVersion != NO_PREVIOUS && previousVersion == seenVersion;
    }
}
