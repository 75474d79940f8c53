package lbd.dataplane.worker;

import static lbd.dataplane.table.TestTables.server;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.counter.RealServerStats;
import lbd.dataplane.counter.StatsAggregator;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.table.TestTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WorkerStateTest {

    private static final VirtualServiceKey WEB = TestTables.SERVICE;
    private static final VirtualServiceKey MAIL = TestTables.service(25);

    private final SnapshotPublisher publisher = new SnapshotPublisher();
    private final WorkerState worker = new WorkerState(publisher, 0);
    private long version;

    @Test
    void anUnknownServiceIsNull() {
        publish(table(WEB, SchedulerKind.RR, List.of(0, 1), 1, 1));
        assertThat(worker.service(MAIL)).isNull();
    }

    @Test
    void countersSurviveATableSwapByKey() {
        publish(table(WEB, SchedulerKind.RR, List.of(0, 1), 1, 1));
        ServiceSlot slot = worker.service(WEB);
        int a = slot.pick();
        slot.counters(a).connectionScheduled();
        slot.counters(a).connectionEstablished();
        DestinationCounters held = slot.counters(a);

        // A new server X goes to the head: X A B. A's counters are the same object at its new index.
        publish(table(WEB, SchedulerKind.RR, List.of(9, 0, 1), 1, 1, 1));
        ServiceSlot after = worker.service(WEB);
        assertThat(after.destination(1).key()).isEqualTo(server(0));
        assertThat(after.counters(1)).isSameAs(held);
        assertThat(after.counters(1).activeConnections()).isEqualTo(1);
    }

    @Test
    void schedulerPositionSurvivesATableSwap() {
        publish(table(WEB, SchedulerKind.WRR, List.of(0, 1, 2), 4, 3, 2));
        assertThat(picks(worker.service(WEB), 3)).isEqualTo("AAB");
        // Same destinations in a new table object (e.g. the idle timeout changed): wrr continues.
        publish(table(WEB, SchedulerKind.WRR, List.of(0, 1, 2), 4, 3, 2));
        assertThat(picks(worker.service(WEB), 6)).isEqualTo("ABCABC");
    }

    @Test
    void aRemovedServersCountersStillDecrementAndStayInTheTotals() {
        publish(table(WEB, SchedulerKind.RR, List.of(0, 1), 1, 1));
        ServiceSlot slot = worker.service(WEB);
        DestinationCounters a = slot.counters(slot.pick());
        a.connectionScheduled();
        a.connectionEstablished();
        a.addIn(10, 1);

        publish(table(WEB, SchedulerKind.RR, List.of(1), 1)); // A removed (quiescent=no)
        assertThat(worker.service(WEB).table().destinations()).hasSize(1);

        // The connection still open on A ends: it decrements the counters it holds.
        a.connectionClosing();
        RealServerStats closing = StatsAggregator.byRealServer(List.of(worker)).get(server(0));
        assertThat(closing).isEqualTo(new RealServerStats(0, 1, 1, 10, 0, 1, 0));
        a.inactiveConnectionGone();
        RealServerStats gone = StatsAggregator.byRealServer(List.of(worker)).get(server(0));
        assertThat(gone).isEqualTo(new RealServerStats(0, 0, 1, 10, 0, 1, 0));

        // A comes back: it gets its old counters again.
        publish(table(WEB, SchedulerKind.RR, List.of(0, 1), 1, 1));
        assertThat(worker.service(WEB).counters(0)).isSameAs(a);
    }

    @Test
    void aSchedulerChangeReplacesOnlyThatServicesScheduler() {
        ServiceTable web = table(WEB, SchedulerKind.RR, List.of(0, 1, 2), 1, 1, 1);
        ServiceTable mail = table(MAIL, SchedulerKind.RR, List.of(0, 1, 2), 1, 1, 1);
        publish(web, mail);
        assertThat(picks(worker.service(WEB), 2)).isEqualTo("AB");
        assertThat(picks(worker.service(MAIL), 1)).isEqualTo("A");
        ServiceSlot mailSlot = worker.service(MAIL);
        DestinationCounters mailA = mailSlot.counters(0);

        // web switches to wrr: a fresh scheduler (starts at the head). mail keeps its slot and position.
        publish(table(WEB, SchedulerKind.WRR, List.of(0, 1, 2), 1, 1, 1), mail);
        assertThat(picks(worker.service(WEB), 2)).isEqualTo("AB");
        assertThat(worker.service(MAIL)).isSameAs(mailSlot);
        assertThat(picks(worker.service(MAIL), 1)).isEqualTo("B");
        assertThat(worker.service(MAIL).counters(0)).isSameAs(mailA);
    }

    @Test
    void aServiceRemovedFromTheSnapshotIsGone() {
        publish(table(WEB, SchedulerKind.RR, List.of(0), 1), table(MAIL, SchedulerKind.RR, List.of(0), 1));
        assertThat(worker.service(MAIL)).isNotNull();
        publish(table(WEB, SchedulerKind.RR, List.of(0), 1));
        assertThat(worker.service(MAIL)).isNull();
    }

    @Test
    void noServerWithWeightGivesMinusOneAndTheFallbackCounters() {
        ServiceTable quiet = table(WEB, SchedulerKind.WLC, List.of(0, 1), 0, 0);
        ServiceTable withFallback = new ServiceTable(WEB, SchedulerKind.WLC, quiet.destinations(),
                java.util.Optional.of(new lbd.dataplane.table.Destination(
                        lbd.dataplane.table.Destination.FALLBACK_INDEX, server(7),
                        lbd.config.model.ForwardingMethod.MASQ, 1)),
                0, quiet.connectTimeout(), quiet.idleTimeout());
        publish(withFallback);
        ServiceSlot slot = worker.service(WEB);
        assertThat(slot.pick()).isEqualTo(-1);
        assertThat(slot.fallbackCounters()).isNotNull();
        slot.fallbackCounters().connectionScheduled();
        assertThat(StatsAggregator.byRealServer(List.of(worker)).get(server(7)).connections()).isEqualTo(1);
    }

    @Test
    @Timeout(10)
    void aControlThreadReadsCountersWhileTheWorkerWrites() throws Exception {
        publish(table(WEB, SchedulerKind.RR, List.of(0, 1), 1, 1));
        int connections = 100_000;
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < connections; i++) {
                    ServiceSlot slot = worker.service(WEB);
                    DestinationCounters c = slot.counters(slot.pick());
                    c.connectionScheduled();
                    c.connectionEstablished();
                    c.addIn(1, 1);
                    c.activeConnectionGone();
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.countDown();
            }
        });
        Map<RealServerKey, Long> lastSeen = new HashMap<>();
        while (!done.await(0, TimeUnit.MILLISECONDS)) {
            StatsAggregator.byRealServer(List.of(worker)).forEach((key, stats) -> {
                // Totals only grow, and a reader never sees a negative count.
                assertThat(stats.connections()).isGreaterThanOrEqualTo(lastSeen.getOrDefault(key, 0L));
                assertThat(stats.active()).isBetween(0L, 1L);
                lastSeen.put(key, stats.connections());
            });
        }
        owner.join();
        assertThat(failure.get()).isNull();
        Map<RealServerKey, RealServerStats> totals = StatsAggregator.byRealServer(List.of(worker));
        assertThat(totals.get(server(0)).connections() + totals.get(server(1)).connections()).isEqualTo(connections);
        assertThat(totals.get(server(0)).connections()).isEqualTo(connections / 2);
        assertThat(totals.get(server(0)).active()).isZero();
    }

    @Test
    void aDeltaReAlignsOnlyTheChangedServicesAndAWorkerThatMissedOneReAlignsEverything() {
        ServiceTable web = table(WEB, SchedulerKind.WLC, List.of(0, 1), 1, 1);
        ServiceTable mail = table(MAIL, SchedulerKind.WLC, List.of(0, 1), 1, 1);
        publish(web, mail);
        worker.service(WEB);
        long installsAtStart = worker.installs();
        assertThat(installsAtStart).isEqualTo(2);

        // One flap of MAIL, published as a delta from the version the worker saw: only MAIL is installed.
        ServiceTable mailFlapped = table(MAIL, SchedulerKind.WLC, List.of(0, 1), 0, 1);
        publishDelta(Map.of(WEB, web, MAIL, mailFlapped), Set.of(MAIL));
        assertThat(worker.service(WEB).table()).isSameAs(web);
        assertThat(worker.service(MAIL).table()).isSameAs(mailFlapped);
        assertThat(worker.installs()).isEqualTo(installsAtStart + 1);

        // A delta naming a service that went away retires its slot.
        publishDelta(Map.of(WEB, web), Set.of(MAIL));
        assertThat(worker.service(MAIL)).isNull();

        // The worker misses a publication (MAIL comes back), then sees a delta from the one it missed, which names
        // only WEB: it must not trust the delta, and re-aligns everything — MAIL is there again.
        publishDelta(Map.of(WEB, web, MAIL, mail), Set.of(MAIL));
        ServiceTable webEdited = table(WEB, SchedulerKind.WLC, List.of(0, 1), 2, 1);
        publishDelta(Map.of(WEB, webEdited, MAIL, mail), Set.of(WEB));
        assertThat(worker.service(WEB).table()).isSameAs(webEdited);
        assertThat(worker.service(MAIL).table()).isSameAs(mail);
    }

    private void publishDelta(Map<VirtualServiceKey, ServiceTable> services, Set<VirtualServiceKey> changed) {
        long previous = version;
        publisher.publish(new DataPlaneSnapshot(++version, services, previous, changed));
    }

    private void publish(ServiceTable... tables) {
        Map<VirtualServiceKey, ServiceTable> services = new HashMap<>();
        for (ServiceTable t : tables) {
            services.put(t.key(), t);
        }
        publisher.publish(new DataPlaneSnapshot(++version, services));
    }

    private static ServiceTable table(VirtualServiceKey service, SchedulerKind kind, List<Integer> servers,
                                      int... weights) {
        List<RealServerKey> keys = servers.stream().map(n -> server(service, n)).toList();
        return TestTables.table(service, kind, keys, weights);
    }

    private static String picks(ServiceSlot slot, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(TestTables.name(slot.pick()));
        }
        return s.toString();
    }
}
