package lbd.director.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.director.listing.TableView;
import lbd.health.CheckDurations;
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

    /** The NAT proxy's splice pipes; empty when it does not splice (not epoll, or splicing off). */
    default Optional<SplicePipes> splicePipes() {
        return Optional.empty();
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

    /** Each DR worker's flow table occupancy; empty when no gate service runs. */
    default List<FlowOccupancy> directRoutingFlows() {
        return List.of();
    }

    /** Each gate real server's neighbour (ARP/ND) state: true MAC resolved, false held down for want of one. */
    default Map<RealServerKey, Boolean> directRoutingNeighbours() {
        return Map.of();
    }

    /** Every probe's duration per real server, in buckets (empty when the health monitor does not say). */
    default Map<RealServerKey, CheckDurations> checkDurations() {
        return Map.of();
    }

    /** Reloads applied and refused; empty when lbd runs without a file (the demo). */
    default Optional<ReloadCounters> reloads() {
        return Optional.empty();
    }

    /** The SHA-256 of the configuration file in force ("" when not known). */
    default String configSha256() {
        return "";
    }
}
