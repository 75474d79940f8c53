package lbd.dataplane.sched;

import static lbd.dataplane.table.TestTables.counters;
import static lbd.dataplane.table.TestTables.table;
import static lbd.dataplane.table.TestTables.withConnections;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import org.junit.jupiter.api.Test;

/** dh and twos, read off ip_vs_dh.c and ip_vs_twos.c (ipvs-semantics-2.md, section 2). */
class DhTwosTest {

    @Test
    void dhSendsEveryConnectionToTheVipsBucketServerAndNowhereAtWeightZero() {
        ServiceTable t = table(SchedulerKind.DH, 1, 1, 1);
        int bucket = KernelHashes.hash32(KernelHashes.fold(t.key().address().address().getAddress()), 8);
        Scheduler dh = Schedulers.create(SchedulerKind.DH);
        DestinationCounters[] c = counters(3);
        for (int i = 0; i < 10; i++) {
            assertThat(dh.pick(t, c, i)).isEqualTo(bucket % 3);
        }
        int[] weights = {1, 1, 1};
        weights[bucket % 3] = 0;
        assertThat(dh.pick(table(SchedulerKind.DH, weights), c)).isEqualTo(-1);
    }

    @Test
    void twosWalksTheWeightsAsTheKernelDoesTheFirstServerGettingOneChanceMore() {
        ServiceTable t = table(SchedulerKind.TWOS, 1, 0, 2, 3); // T = 6, draws in [0, 6]
        DestinationCounters[] c = counters(4);
        assertThat(PowerOfTwoChoices.choose(t, c, 0, 0)).isZero();
        assertThat(PowerOfTwoChoices.choose(t, c, 1, 1)).isZero();
        assertThat(PowerOfTwoChoices.choose(t, c, 2, 2)).isEqualTo(2); // the weight-0 server is skipped
        assertThat(PowerOfTwoChoices.choose(t, c, 6, 6)).isEqualTo(3);
    }

    @Test
    void twosTakesTheSecondDrawOnlyWhenItIsStrictlyLessLoadedPerWeight() {
        ServiceTable t = table(SchedulerKind.TWOS, 1, 2);
        DestinationCounters[] c = counters(2);
        withConnections(c[0], 1, 0); // 256 / 1
        withConnections(c[1], 2, 0); // 512 / 2: equal, the first draw stays
        assertThat(PowerOfTwoChoices.choose(t, c, 0, 3)).isZero();
        withConnections(c[0], 0, 1); // 257 / 1 against 256: the second draw wins
        assertThat(PowerOfTwoChoices.choose(t, c, 0, 3)).isEqualTo(1);
    }

    @Test
    void twosSharesIdleServersByWeightWithTheKernelsExtraChanceForTheFirst() {
        PowerOfTwoChoices twos = new PowerOfTwoChoices(new SplittableRandom(42));
        ServiceTable t = table(SchedulerKind.TWOS, 1, 2, 3);
        DestinationCounters[] c = counters(3);
        int[] picks = new int[3];
        int n = 70_000;
        for (int i = 0; i < n; i++) {
            picks[twos.pick(t, c)]++; // nothing open: the first draw always stays
        }
        // Draws in [0, 6]: 0 and 1 give the first server, 2 and 3 the second, 4..6 the third.
        assertThat(picks[0] / (double) n).isCloseTo(2 / 7.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(picks[1] / (double) n).isCloseTo(2 / 7.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(picks[2] / (double) n).isCloseTo(3 / 7.0, org.assertj.core.data.Offset.offset(0.01));
    }
}
