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

/**
 * Long-run shares every scheduler must give for any weights (1..100 servers, weights 0..100): rr, wrr, lc, wlc,
 * sed, nq, fo, ovf, sh, dh, lblc and lblcr here; twos in DhTwosTest, mh in HashingSchedulersTest.
 */
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

    @Test
    void sedAndNqWithConnectionsHeldOpenFillServersInProportionToWeight() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(weightLists(), integers().between(1, 3))
                .checkAssert((weights, rounds) -> {
                    fillsInProportionToWeight(SchedulerKind.SED, weights, rounds);
                    fillsInProportionToWeight(SchedulerKind.NQ, weights, rounds);
                });
    }

    @Test
    void foSendsEverythingToTheFirstServerOfTheHighestWeight() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(weightLists())
                .checkAssert(SchedulerPropertiesTest::foSendsEverythingToTheFirstServerOfTheHighestWeight);
    }

    @Test
    void ovfFillsEachServerToOneAboveItsWeightHighestWeightFirstThenHasNone() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(weightLists())
                .checkAssert(SchedulerPropertiesTest::ovfFillsEachServerToOneAboveItsWeightThenHasNone);
    }

    @Test
    void shGivesEachServerTheClientsOfTheBucketsItsWeightDealtIt() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(40)
                .forAll(lists().of(integers().between(0, 10)).ofSizeBetween(1, 30), integers().all())
                .checkAssert(SchedulerPropertiesTest::shSharesFollowTheBuckets);
    }

    @Test
    void dhSendsEveryConnectionOfAVipToOneServerOrNone() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(100)
                .forAll(weightLists())
                .checkAssert(weightList -> {
                    int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
                    ServiceTable table = TestTables.table(SchedulerKind.DH, weights);
                    DestinationCounters[] counters = TestTables.counters(weights.length);
                    Scheduler dh = Schedulers.create(SchedulerKind.DH);
                    int first = dh.pick(table, counters);
                    for (int i = 0; i < 200; i++) {
                        assertThat(dh.pick(table, counters)).isEqualTo(first);
                    }
                    assertThat(first < 0 || weights[first] > 0).as("never a weight 0 server").isTrue();
                });
    }

    @Test
    void lblcAndLblcrNeverLetAServerRunPastItsWeightWhileAnotherIsUnderHalfOfItsOwn() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(25)
                .forAll(lists().of(integers().between(0, 20)).ofSizeBetween(1, 50))
                .checkAssert(weights -> {
                    localityKeepsLoadWithinWeights(SchedulerKind.LBLC, weights);
                    localityKeepsLoadWithinWeights(SchedulerKind.LBLCR, weights);
                });
    }

    /**
     * sed and nq, connections held open: as wlc's, after k * sum(w) picks each server holds exactly k * w. A server
     * at k * w costs (k * w + 1) / w = k + 1/w, more than any server still under its k * w (at most k), and nq's
     * idle servers are under theirs: none passes k * w while another is short.
     */
    private static void fillsInProportionToWeight(SchedulerKind kind, List<Integer> weightList, int rounds) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(kind, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler scheduler = Schedulers.create(kind);
        int sum = weightList.stream().mapToInt(Integer::intValue).sum();
        for (int i = 0; i < rounds * sum; i++) {
            DestinationCounters c = counters[scheduler.pick(table, counters)];
            c.connectionScheduled();
            c.connectionEstablished();
        }
        for (int s = 0; s < weights.length; s++) {
            assertThat(counters[s].activeConnections()).as("%s server %d", kind, s).isEqualTo(rounds * weights[s]);
        }
        if (sum == 0) {
            assertThat(scheduler.pick(table, counters)).isEqualTo(-1);
        }
    }

    private static void foSendsEverythingToTheFirstServerOfTheHighestWeight(List<Integer> weightList) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.FO, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler fo = Schedulers.create(SchedulerKind.FO);
        int best = -1;
        for (int s = 0; s < weights.length; s++) {
            if (weights[s] > 0 && (best < 0 || weights[s] > weights[best])) {
                best = s;
            }
        }
        for (int i = 0; i < 300; i++) {
            int pick = fo.pick(table, counters);
            assertThat(pick).isEqualTo(best);
            if (pick >= 0) {
                counters[pick].connectionScheduled();
                counters[pick].connectionEstablished(); // load plays no part
            }
        }
    }

    private static void ovfFillsEachServerToOneAboveItsWeightThenHasNone(List<Integer> weightList) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.OVF, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler ovf = Schedulers.create(SchedulerKind.OVF);
        int capacity = 0;
        for (int w : weights) {
            capacity += w > 0 ? w + 1 : 0; // eligible while active <= weight: the (w + 1)-th is still taken
        }
        int lastWeight = Integer.MAX_VALUE;
        for (int i = 0; i < capacity; i++) {
            int pick = ovf.pick(table, counters);
            assertThat(weights[pick]).as("highest weight first").isLessThanOrEqualTo(lastWeight);
            lastWeight = weights[pick];
            counters[pick].connectionScheduled();
            counters[pick].connectionEstablished();
        }
        assertThat(ovf.pick(table, counters)).as("every server past its weight").isEqualTo(-1);
        for (int s = 0; s < weights.length; s++) {
            assertThat(counters[s].activeConnections()).isEqualTo(weights[s] > 0 ? weights[s] + 1 : 0);
        }
    }

    /** 40,000 random clients: each server with weight > 0 gets its buckets' share, within 5 standard deviations. */
    private static void shSharesFollowTheBuckets(List<Integer> weightList, int seed) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(SchedulerKind.SH, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler sh = Schedulers.create(SchedulerKind.SH);
        int[] buckets = new int[SourceHashScheduler.BUCKETS];
        SourceHashScheduler.deal(table.destinations(), buckets);
        int[] owned = new int[weights.length];
        for (int b : buckets) {
            owned[b]++;
        }
        int clients = 40_000;
        int[] got = new int[weights.length];
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = 0; i < clients; i++) {
            int pick = sh.pick(table, counters, random.nextInt());
            if (pick >= 0) {
                got[pick]++;
            }
        }
        for (int s = 0; s < weights.length; s++) {
            if (weights[s] == 0) {
                assertThat(got[s]).as("weight 0: its buckets' clients get no server").isZero();
                continue;
            }
            double expected = (double) clients * owned[s] / SourceHashScheduler.BUCKETS;
            assertThat((double) got[s]).as("server %d with %d buckets", s, owned[s])
                    .isBetween(expected - 5 * Math.sqrt(expected) - 1, expected + 5 * Math.sqrt(expected) + 1);
        }
    }

    /**
     * lblc and lblcr, connections held open, 3 * sum(w) of them: their cached server takes more only while it is
     * within its weight or no server is under half of its own, and wlc's choice is a server under half when one
     * is — so at no point is a server more than one past its weight while another is under half of its weight.
     */
    private static void localityKeepsLoadWithinWeights(SchedulerKind kind, List<Integer> weightList) {
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        ServiceTable table = TestTables.table(kind, weights);
        DestinationCounters[] counters = TestTables.counters(weights.length);
        Scheduler scheduler = Schedulers.create(kind);
        int sum = weightList.stream().mapToInt(Integer::intValue).sum();
        for (int i = 0; i < 3 * sum; i++) {
            int pick = scheduler.pick(table, counters);
            assertThat(weights[pick]).isPositive();
            counters[pick].connectionScheduled();
            counters[pick].connectionEstablished();
            if (counters[pick].activeConnections() > weights[pick] + 1) {
                for (int s = 0; s < weights.length; s++) {
                    if (2 * counters[s].activeConnections() < weights[s]) {
                        throw new AssertionError(kind + ": server " + s + " under half of weight " + weights[s]
                                + " while server " + pick + " holds " + counters[pick].activeConnections()
                                + " at weight " + weights[pick]);
                    }
                }
            }
        }
        if (sum == 0) {
            assertThat(scheduler.pick(table, counters)).isEqualTo(-1);
        }
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
