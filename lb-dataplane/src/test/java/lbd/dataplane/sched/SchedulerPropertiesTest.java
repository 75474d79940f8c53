package lbd.dataplane.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import lbd.config.PropertySeed;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.TestTables;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Shares the schedulers must give for any weights (1..100 servers, weights 0..100). */
class SchedulerPropertiesTest {

    /** 1..100 servers, each of weight 0..100. */
    private static Gen<List<Integer>> weightLists() {
        return lists().of(integers().between(0, 100)).ofSizeBetween(1, 100);
    }

    @Test
    void wrrGivesEachServerItsWeightOverTheStepPerCycle() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(200)
                .forAll(weightLists())
                .checkAssert(SchedulerPropertiesTest::wrrGivesEachServerItsWeightOverTheStepPerCycle);
    }

    @Test
    void rrGivesEqualSharesAmongServersWithWeight() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(200)
                .forAll(weightLists())
                .checkAssert(SchedulerPropertiesTest::rrGivesEqualSharesAmongServersWithWeight);
    }

    @Test
    void wlcWithConnectionsHeldOpenFillsServersInProportionToWeight() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(weightLists(), integers().between(1, 3))
                .checkAssert(SchedulerPropertiesTest::wlcWithConnectionsHeldOpenFillsServersInProportionToWeight);
    }

    @Test
    void lcWithConnectionsHeldOpenSpreadsEvenlyOverServersWithWeight() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(weightLists())
                .checkAssert(SchedulerPropertiesTest::lcWithConnectionsHeldOpenSpreadsEvenlyOverServersWithWeight);
    }

    private static void wrrGivesEachServerItsWeightOverTheStepPerCycle(List<Integer> weightList) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.WRR, weights);
        Scheduler wrr = Schedulers.create(SchedulerKind.WRR);
        DestinationCounters[] idle = TestTables.counters(weights.length);
        int sum = weightList.stream().mapToInt(Integer::intValue).sum();
        if (sum == 0) {
            assertThat(wrr.pick(table, idle)).isEqualTo(-1);
            return;
        }
        int di = WeightedRoundRobin.gcdOfPositive(weights);
        int cycle = sum / di; // each server is taken once in each of the w/di passes that reach its weight
        List<Integer> expected = referenceCycle(weights, di);
        assertThat(expected).hasSize(cycle);
        for (int round = 0; round < 2; round++) {
            int[] counts = new int[weights.length];
            List<Integer> actual = new ArrayList<>(cycle);
            for (int i = 0; i < cycle; i++) {
                int pick = wrr.pick(table, idle);
                actual.add(pick);
                counts[pick]++;
            }
            for (int s = 0; s < weights.length; s++) {
                assertThat(counts[s]).as("server %d of weight %d", s, weights[s]).isEqualTo(weights[s] / di);
            }
            assertThat(actual).isEqualTo(expected);
        }
    }

    private static void rrGivesEqualSharesAmongServersWithWeight(List<Integer> weightList) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.RR, weights);
        Scheduler rr = Schedulers.create(SchedulerKind.RR);
        DestinationCounters[] idle = TestTables.counters(weights.length);
        long eligible = weightList.stream().filter(w -> w > 0).count();
        if (eligible == 0) {
            assertThat(rr.pick(table, idle)).isEqualTo(-1);
            return;
        }
        int rounds = 3;
        int[] counts = new int[weights.length];
        for (int i = 0; i < rounds * eligible; i++) {
            counts[rr.pick(table, idle)]++;
        }
        for (int s = 0; s < weights.length; s++) {
            assertThat(counts[s]).isEqualTo(weights[s] > 0 ? rounds : 0);
        }
    }

    private static void wlcWithConnectionsHeldOpenFillsServersInProportionToWeight(List<Integer> weightList, int rounds) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.WLC, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler wlc = Schedulers.create(SchedulerKind.WLC);
        int sum = weightList.stream().mapToInt(Integer::intValue).sum();
        if (sum == 0) {
            assertThat(wlc.pick(table, counters)).isEqualTo(-1);
            return;
        }
        for (int i = 0; i < rounds * sum; i++) {
            DestinationCounters c = counters[wlc.pick(table, counters)];
            c.connectionScheduled();
            c.connectionEstablished(); // held open: ActiveConn
        }
        // Greedy least load/weight: after k * sum(w) picks, no server can exceed k * w (it would have been
        // chosen while every other was at or above its own k * w), so each holds exactly k * w.
        for (int s = 0; s < weights.length; s++) {
            assertThat(counters[s].activeConnections()).isEqualTo(rounds * weights[s]);
        }
    }

    private static void lcWithConnectionsHeldOpenSpreadsEvenlyOverServersWithWeight(List<Integer> weightList) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.LC, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler lc = Schedulers.create(SchedulerKind.LC);
        long eligible = weightList.stream().filter(w -> w > 0).count();
        for (int i = 0; i < 2 * eligible; i++) {
            DestinationCounters c = counters[lc.pick(table, counters)];
            c.connectionScheduled();
            c.connectionEstablished();
        }
        for (int s = 0; s < weights.length; s++) {
            assertThat(counters[s].activeConnections()).isEqualTo(weights[s] > 0 ? 2 : 0);
        }
        if (eligible == 0) {
            assertThat(lc.pick(table, counters)).isEqualTo(-1);
        }
    }

    /** One wrr cycle by its definition: passes with cw = mw, mw - di, ... 1, each taking servers >= cw. */
    private static List<Integer> referenceCycle(int[] weights, int di) {
        int max = 0;
        for (int w : weights) {
            max = Math.max(max, w);
        }
        List<Integer> cycle = new ArrayList<>();
        for (int cw = max - (di - 1); cw > 0; cw -= di) {
            for (int s = 0; s < weights.length; s++) {
                if (weights[s] >= cw) {
                    cycle.add(s);
                }
            }
        }
        return cycle;
    }
}
