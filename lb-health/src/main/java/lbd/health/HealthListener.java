package lbd.health;

import lbd.config.model.VirtualServiceKey;

/**
 * What the director implements to follow health: it recomputes the service's table from
 * {@link HealthView} when told something changed. Called on the monitor's single event thread, in order, after
 * the view already shows the change; implementations must return quickly (hand work to their own thread) and
 * must not call {@link HealthMonitor#apply} from inside the callback.
 */
public interface HealthListener {

    /** A real server went up or down. */
    void onTransition(HealthEvent event);

    /** The service's fallback server was activated (every real server down) or withdrawn (one came back). */
    void onFallback(VirtualServiceKey service, boolean active);

    /** A listener that ignores everything, for callers that only poll the view. */
    HealthListener NONE = new HealthListener() {
        @Override
        public void onTransition(HealthEvent event) {
        }

        @Override
        public void onFallback(VirtualServiceKey service, boolean active) {
        }
    };
}
