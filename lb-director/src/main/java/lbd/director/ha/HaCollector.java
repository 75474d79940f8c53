package lbd.director.ha;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.function.Supplier;

/**
 * HA series for the Prometheus endpoint, read from the node's published {@link HaStatus} at scrape time:
 * {@code lbd_ha_transitions_total}, {@code lbd_ha_active} (1 on the serving node), {@code lbd_ha_peer_alive},
 * {@code lbd_ha_heartbeats_dropped_total}; all labelled {@code node}. Register it next to lbd's own collector.
 */
public final class HaCollector implements MultiCollector {

    private final Supplier<HaStatus> status;

    public HaCollector(Supplier<HaStatus> status) {
        this.status = status;
    }

    @Override
    public MetricSnapshots collect() {
        HaStatus s = status.get();
        Labels node = Labels.of("node", s.node());
        return new MetricSnapshots(
                counter("lbd_ha_transitions", "Role changes of this HA node since start (each is logged with its reason)", node, s.transitions()),
                gauge("lbd_ha_active", "1 when this node is the active director (holds the VIPs), else 0", node, s.role() == HaRole.ACTIVE ? 1 : 0),
                gauge("lbd_ha_peer_alive", "1 when the peer's heartbeats arrive within deadtime, else 0", node, s.peerState() == PeerState.ALIVE ? 1 : 0),
                counter("lbd_ha_heartbeats_dropped", "Heartbeats dropped: malformed, wrong key, replayed or from an unknown node", node, s.dropped()));
    }

    private static CounterSnapshot counter(String name, String help, Labels labels, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }

    private static GaugeSnapshot gauge(String name, String help, Labels labels, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }
}
