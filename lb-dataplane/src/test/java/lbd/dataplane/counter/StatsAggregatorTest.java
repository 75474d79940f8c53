package lbd.dataplane.counter;

import static lbd.dataplane.table.TestTables.server;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.TestTables;
import org.junit.jupiter.api.Test;

class StatsAggregatorTest {

    @Test
    void sumsEachRealServerOverWorkersAndEachServiceOverItsServers() {
        VirtualServiceKey other = TestTables.service(443);
        DestinationCounters w1a = new DestinationCounters();
        DestinationCounters w1b = new DestinationCounters();
        DestinationCounters w2a = new DestinationCounters();
        DestinationCounters w2c = new DestinationCounters();
        w1a.connectionScheduled();
        w1a.connectionEstablished(); // A: 1 active on worker 1
        w1a.addIn(100, 2);
        w1a.addOut(1000, 3);
        w1b.connectionScheduled(); // B: 1 inactive
        w2a.connectionScheduled();
        w2a.connectionScheduled();
        w2a.connectionEstablished(); // A: 1 active + 1 inactive on worker 2
        w2a.addIn(50, 1);
        w2c.connectionScheduled();
        w2c.connectionEstablished();
        w2c.connectionClosing();
        w2c.inactiveConnectionGone(); // C (other service): closed
        w2c.addOut(7, 1);
        CounterSource worker1 = visitor -> {
            visitor.accept(server(0), w1a);
            visitor.accept(server(1), w1b);
        };
        CounterSource worker2 = visitor -> {
            visitor.accept(server(0), w2a);
            visitor.accept(server(other, 2), w2c);
        };

        Map<RealServerKey, RealServerStats> byServer = StatsAggregator.byRealServer(List.of(worker1, worker2));
        assertThat(byServer).containsOnlyKeys(server(0), server(1), server(other, 2));
        assertThat(byServer.get(server(0))).isEqualTo(new RealServerStats(2, 1, 3, 150, 1000, 3, 3));
        assertThat(byServer.get(server(1))).isEqualTo(new RealServerStats(0, 1, 1, 0, 0, 0, 0));
        assertThat(byServer.get(server(other, 2))).isEqualTo(new RealServerStats(0, 0, 1, 0, 7, 0, 1));

        Map<VirtualServiceKey, RealServerStats> byService = StatsAggregator.byService(List.of(worker1, worker2));
        assertThat(byService).containsOnlyKeys(TestTables.SERVICE, other);
        assertThat(byService.get(TestTables.SERVICE)).isEqualTo(new RealServerStats(2, 2, 4, 150, 1000, 3, 3));
        assertThat(byService.get(other)).isEqualTo(new RealServerStats(0, 0, 1, 0, 7, 0, 1));
    }

    @Test
    void noWorkersGiveNoTotals() {
        assertThat(StatsAggregator.byRealServer(List.of())).isEmpty();
    }
}
