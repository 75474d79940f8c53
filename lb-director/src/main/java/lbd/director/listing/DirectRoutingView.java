package lbd.director.listing;

import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.dr.FlowOccupancy;

/**
 * The direct-routing data plane as the status page shows it.
 *
 * @param frames     the workers' counters summed, by {@code DrStats.name}
 * @param flows      each worker's flow table occupancy
 * @param neighbours each gate real server's neighbour state: true MAC resolved, false held down
 */
public record DirectRoutingView(Map<String, Long> frames, List<FlowOccupancy> flows,
                                Map<RealServerKey, Boolean> neighbours) {

    public DirectRoutingView {
        frames = Map.copyOf(frames);
        flows = List.copyOf(flows);
        neighbours = Map.copyOf(neighbours);
    }
}
