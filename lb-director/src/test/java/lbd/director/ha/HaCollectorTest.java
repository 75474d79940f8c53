package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HaCollectorTest {

    private static double value(MetricSnapshots all, String name) {
        for (MetricSnapshot m : all) {
            if (m.getMetadata().getName().equals(name)) {
                return switch (m) {
                    case CounterSnapshot c -> c.getDataPoints().getFirst().getValue();
                    case GaugeSnapshot g -> g.getDataPoints().getFirst().getValue();
                    default -> throw new AssertionError(name);
                };
            }
        }
        throw new AssertionError("no series " + name);
    }

    @Test
    void exposesTheNodesStatus() {
        HaStatus s = new HaStatus("lvs-ldir02", HaRole.ACTIVE, Instant.EPOCH, "taking over: peer lvs-ldir01 is dead",
                "lvs-ldir01", PeerState.DEAD, HaRole.ACTIVE, 3, 7);
        MetricSnapshots m = new HaCollector(() -> s).collect();
        assertThat(value(m, "lbd_ha_transitions")).isEqualTo(3);
        assertThat(value(m, "lbd_ha_active")).isEqualTo(1);
        assertThat(value(m, "lbd_ha_peer_alive")).isEqualTo(0);
        assertThat(value(m, "lbd_ha_heartbeats_dropped")).isEqualTo(7);
        assertThat(s.describe()).isEqualTo("HA: lvs-ldir02 active since 1970-01-01T00:00:00Z (taking over: peer lvs-ldir01 is dead);"
                + " peer lvs-ldir01 dead; 3 transitions, 7 heartbeats dropped");
    }

    @Test
    void exposesTheConnectionSyncsCountersWhenTheNodeRunsOne() {
        HaStatus s = new HaStatus("lvs-ldir01", HaRole.ACTIVE, Instant.EPOCH, "preferred", "lvs-ldir02",
                PeerState.ALIVE, HaRole.BACKUP, 1, 0);
        MetricSnapshots m = new HaCollector(() -> s, () -> new ConnectionSync.Stats(100, 51, 7484, 3, 2, 1, 4))
                .collect();
        assertThat(value(m, "lbd_ha_sync_records_sent")).isEqualTo(100);
        assertThat(value(m, "lbd_ha_sync_datagrams_sent")).isEqualTo(51);
        assertThat(value(m, "lbd_ha_sync_bytes_sent")).isEqualTo(7484);
        assertThat(value(m, "lbd_ha_sync_records_received")).isEqualTo(3);
        assertThat(value(m, "lbd_ha_sync_datagrams_rejected")).isEqualTo(2);
        assertThat(value(m, "lbd_ha_sync_changes_dropped")).isEqualTo(1);
        assertThat(value(m, "lbd_ha_sync_resyncs")).isEqualTo(4);
        assertThat(value(m, "lbd_ha_active")).isEqualTo(1);
    }
}
