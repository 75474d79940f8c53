package lbd.director.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.director.listing.TableView;
import org.HdrHistogram.Histogram;

/**
 * What a scrape reads. The director implements it; each call may run on the control thread and returns
 * immutable data (or copies), so that a scrape never touches live state.
 */
public interface MetricsSource {

    /** Services and real servers: counters, weights, health. */
    TableView view();

    /** Per event loop accept and scheduling counters (empty when the data plane does not count them). */
    default List<LoopCounters> loops() {
        return List.of();
    }

    /** How long each real server's last health check took (empty when the health monitor does not say). */
    default Map<RealServerKey, Duration> checkLatency() {
        return Map.of();
    }

    /**
     * Time to connect to a real server, per service, in microseconds since start (copies; empty when the data
     * plane does not record them).
     */
    default Map<VirtualServiceKey, Histogram> connectLatencyMicros() {
        return Map.of();
    }

    /**
     * The direct-routing data plane's frame counters by outcome ({@code forwarded}, {@code dropped-no-service}…),
     * summed over its workers; empty when no gate service runs.
     */
    default Map<String, Long> directRoutingFrames() {
        return Map.of();
    }
}
