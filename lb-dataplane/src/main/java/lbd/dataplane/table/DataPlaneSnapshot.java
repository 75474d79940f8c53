package lbd.dataplane.table;

import java.util.Map;
import lbd.config.model.VirtualServiceKey;

/**
 * Every service table at one moment, with a version that increases on each publication.
 * Workers compare the version they last saw with the published one and rebuild only when it moved.
 */
public record DataPlaneSnapshot(long version, Map<VirtualServiceKey, ServiceTable> services) {

    public static final DataPlaneSnapshot EMPTY = new DataPlaneSnapshot(0, Map.of());

    public DataPlaneSnapshot {
        services = Map.copyOf(services);
    }

    public ServiceTable service(VirtualServiceKey key) {
        return services.get(key);
    }
}
