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
    private final Supplier<ConnectionSync.Stats> sync;

    public HaCollector(Supplier<HaStatus> status) {
        this(status, () -> null);
    }

    /** With the connection sync's counters ({@code sync} answers null when the node runs none). */
    public HaCollector(Supplier<HaStatus> status, Supplier<ConnectionSync.Stats> sync) {
        this.status = status;
        this.sync = sync;
    }

    @Override
    public MetricSnapshots collect() {
        HaStatus s = status.get();
        Labels node = Labels.of("node", s.node());
        ConnectionSync.Stats c = sync.get();
        if (c != null) {
            return new MetricSnapshots(
                    counter("lbd_ha_transitions", "Role changes of this HA node since start (each is logged with its reason)", node, s.transitions()),
                    gauge("lbd_ha_active", "1 when this node is the active director (holds the VIPs), else 0", node, s.role() == HaRole.ACTIVE ? 1 : 0),
                    gauge("lbd_ha_peer_alive", "1 when the peer's heartbeats arrive within deadtime, else 0", node, s.peerState() == PeerState.ALIVE ? 1 : 0),
                    counter("lbd_ha_heartbeats_dropped", "Heartbeats dropped: malformed, wrong key, replayed or from an unknown node", node, s.dropped()),
                    counter("lbd_ha_sync_records_sent", "DR connections and templates sent to the peer (streamed and resynced)", node, c.recordsSent()),
                    counter("lbd_ha_sync_datagrams_sent", "Connection sync datagrams sent to the peer", node, c.datagramsSent()),
                    counter("lbd_ha_sync_bytes_sent", "Bytes of connection sync datagrams sent to the peer", node, c.bytesSent()),
                    counter("lbd_ha_sync_records_received", "DR connections received from the peer and kept", node, c.recordsReceived()),
                    counter("lbd_ha_sync_datagrams_rejected", "Connection sync datagrams dropped: malformed, wrong key, replayed", node, c.datagramsRejected()),
                    counter("lbd_ha_sync_changes_dropped", "Connection changes not sent: the sync fell behind (resent at the next change or resync)", node, c.changesDropped()),
                    counter("lbd_ha_sync_resyncs", "Full resyncs sent to the peer when it (re)joined", node, c.resyncs()));
        }
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
