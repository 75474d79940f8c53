package lbd.dataplane.sched;

import static lbd.dataplane.sched.Picks.sequence;
import static lbd.dataplane.table.TestTables.server;
import static lbd.dataplane.table.TestTables.table;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.TestTables;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {

    private final Scheduler wrr = Schedulers.create(SchedulerKind.WRR);

    @Test
    void weights432GiveTheIpvsSequenceAndRepeat() {
        assertThat(sequence(wrr, table(SchedulerKind.WRR, 4, 3, 2), 27))
                .isEqualTo("AABABCABC".repeat(3));
    }

    @Test
    void weightsWithACommonDivisorStepByIt() {
        // di = 2, mw = 4 - 1 = 3: passes cw = 3 (A), cw = 1 (A B)
        assertThat(sequence(wrr, table(SchedulerKind.WRR, 4, 2), 9)).isEqualTo("AAB".repeat(3));
    }

    @Test
    void weightZeroIsNeverChosen() {
        assertThat(sequence(wrr, table(SchedulerKind.WRR, 2, 0, 1), 9)).isEqualTo("AAC".repeat(3));
    }

    @Test
    void allWeightsZeroReturnsMinusOne() {
        assertThat(sequence(wrr, table(SchedulerKind.WRR, 0, 0, 0), 3)).isEqualTo("---");
        assertThat(sequence(Schedulers.create(SchedulerKind.WRR), table(SchedulerKind.WRR), 1)).isEqualTo("-");
    }

    @Test
    void aWeightChangeMidSequenceRestartsFromTheHeadWithTheCurrentWeightKept() {
        ServiceTable before = table(SchedulerKind.WRR, 4, 3, 2);
        wrr.tableChanged(null, before);
        // A (cw 4), A (cw 3), B (cw 3), A (cw 2): now cl = A, cw = 2.
        assertThat(sequence(wrr, before, 4)).isEqualTo("AABA");
        // C's weight 2 -> 4. dest_changed: cl = head, di = 1, mw = 4; cw = 2 is neither > mw nor 0, and
        // di = 1, so cw stays 2. From the head: cw 2: A B C; cw 1: A B C; cw 0 -> 4: A C; 3: A B C; 2: A B C;
        // 1: A B C; then the cycle of 11 (4:3:4) repeats.
        ServiceTable after = table(SchedulerKind.WRR, 4, 3, 4);
        wrr.tableChanged(before, after);
        assertThat(sequence(wrr, after, 6 + 22)).isEqualTo("ABCABC" + "ACABCABCABC".repeat(2));
    }

    @Test
    void aWeightChangeThatChangesTheStepRoundsTheCurrentWeight() {
        ServiceTable before = table(SchedulerKind.WRR, 6, 4);
        wrr.tableChanged(null, before);
        // di = 2, mw = 5: cw 5: A; cw 3: A B; cw 1: A B. After A A B: cl = B, cw = 3.
        assertThat(sequence(wrr, before, 3)).isEqualTo("AAB");
        // B 4 -> 3: di = 3, mw = 6 - 2 = 4; cw = 3 <= 4, di > 1, so cw = (3 / 3) * 3 + 1 = 4; cl = head.
        // cw 4: A; cw 1: A B; then cw 4 again. (Without the rounding, cw 3 would give A B first.)
        ServiceTable after = table(SchedulerKind.WRR, 6, 3);
        wrr.tableChanged(before, after);
        assertThat(sequence(wrr, after, 9)).isEqualTo("AAB".repeat(3));
    }

    @Test
    void aCurrentWeightAboveTheNewMaximumRestartsAtTheMaximum() {
        ServiceTable before = table(SchedulerKind.WRR, 5, 1);
        wrr.tableChanged(null, before);
        assertThat(sequence(wrr, before, 1)).isEqualTo("A"); // cw = 5
        ServiceTable after = table(SchedulerKind.WRR, 2, 1);
        wrr.tableChanged(before, after);
        // cw 5 > mw 2 -> cw = 2: A; cw 1: A B
        assertThat(sequence(wrr, after, 6)).isEqualTo("AABAAB");
    }

    @Test
    void aSwapWithTheSameDestinationsKeepsThePosition() {
        ServiceTable first = table(SchedulerKind.WRR, 4, 3, 2);
        wrr.tableChanged(null, first);
        assertThat(sequence(wrr, first, 3)).isEqualTo("AAB");
        ServiceTable same = table(SchedulerKind.WRR, 4, 3, 2); // a new object, equal content
        wrr.tableChanged(first, same);
        assertThat(sequence(wrr, same, 6)).isEqualTo("ABCABC");
    }

    @Test
    void removingAServerRestartsFromTheHead() {
        ServiceTable abc = table(SchedulerKind.WRR, 4, 3, 2);
        wrr.tableChanged(null, abc);
        assertThat(sequence(wrr, abc, 3)).isEqualTo("AAB"); // cl = B, cw = 3
        ServiceTable ac = TestTables.table(TestTables.SERVICE, SchedulerKind.WRR,
                List.of(server(0), server(2)), 4, 2);
        wrr.tableChanged(abc, ac);
        // di = 2, mw = 3; cw 3 <= 3, di > 1 -> (3 / 2) * 2 + 1 = 3; head. cw 3: A; cw 1: A C; cw 3: A ...
        assertThat(sequence(wrr, ac, 6)).isEqualTo("AABAAB");
    }
}
