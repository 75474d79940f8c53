package lbd.health;

import java.util.Collection;
import java.util.Optional;

import lbd.config.model.VirtualServiceKey;

/**
 * Read side of the monitor, safe from any thread: each {@link ServiceHealth} is an immutable snapshot, replaced
 * whole when something in that service changes.
 */
public interface HealthView {

    Optional<ServiceHealth> service(VirtualServiceKey key);

    Collection<ServiceHealth> services();
}
