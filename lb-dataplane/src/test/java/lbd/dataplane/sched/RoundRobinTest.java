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

class RoundRobinTest {

    private final Scheduler rr = Schedulers.create(SchedulerKind.RR);

    @Test
    void walksTheListInOrderFromTheHead() {
        assertThat(sequence(rr, table(SchedulerKind.RR, 1, 5, 1), 7)).isEqualTo("ABCABCA");
    }

    @Test
    void skipsWeightZero() {
        assertThat(sequence(rr, table(SchedulerKind.RR, 0, 1, 0, 2, 0), 5)).isEqualTo("BDBDB");
    }

    @Test
    void noServerWithWeightReturnsMinusOne() {
        assertThat(sequence(rr, table(SchedulerKind.RR, 0, 0), 2)).isEqualTo("--");
        assertThat(sequence(Schedulers.create(SchedulerKind.RR), table(SchedulerKind.RR), 1)).isEqualTo("-");
    }

    @Test
    void aServerAddedAtTheHeadIsReachedAfterTheWrap() {
        ServiceTable abc = table(SchedulerKind.RR, 1, 1, 1);
        rr.tableChanged(null, abc);
        assertThat(sequence(rr, abc, 2)).isEqualTo("AB");
        // IPVS inserts a new server (X) at the head: X A B C. rr keeps pointing at B.
        ServiceTable xabc = TestTables.table(TestTables.SERVICE, SchedulerKind.RR,
                List.of(server(23), server(0), server(1), server(2)), 1, 1, 1, 1);
        rr.tableChanged(abc, xabc);
        // indexes in xabc: X=0 A=1 B=2 C=3
        assertThat(sequence(rr, xabc, 5)).isEqualTo("DABCD");
    }

    @Test
    void removingTheLastChosenServerContinuesWithTheOneAfterIt() {
        ServiceTable abcd = table(SchedulerKind.RR, 1, 1, 1, 1);
        rr.tableChanged(null, abcd);
        assertThat(sequence(rr, abcd, 2)).isEqualTo("AB");
        // ip_vs_rr_del_dest: B removed, position moves to A; next is C (index 1 in A C D).
        ServiceTable acd = TestTables.table(TestTables.SERVICE, SchedulerKind.RR,
                List.of(server(0), server(2), server(3)), 1, 1, 1);
        rr.tableChanged(abcd, acd);
        assertThat(rr.pick(acd, TestTables.counters(3))).isEqualTo(1);
        assertThat(acd.destinations().get(1).key()).isEqualTo(server(2));
    }

    @Test
    void removingTheLastChosenAndItsPredecessorStepsBackToTheNearestSurvivor() {
        ServiceTable abcd = table(SchedulerKind.RR, 1, 1, 1, 1);
        rr.tableChanged(null, abcd);
        assertThat(sequence(rr, abcd, 3)).isEqualTo("ABC");
        ServiceTable ad = TestTables.table(TestTables.SERVICE, SchedulerKind.RR,
                List.of(server(0), server(3)), 1, 1);
        rr.tableChanged(abcd, ad);
        assertThat(sequence(rr, ad, 3)).isEqualTo("BAB"); // D, A, D
    }

    @Test
    void removingTheFirstServerWhenItWasLastChosenRestartsAtTheHead() {
        ServiceTable abc = table(SchedulerKind.RR, 1, 1, 1);
        rr.tableChanged(null, abc);
        assertThat(sequence(rr, abc, 1)).isEqualTo("A");
        ServiceTable bc = TestTables.table(TestTables.SERVICE, SchedulerKind.RR,
                List.of(server(1), server(2)), 1, 1);
        rr.tableChanged(abc, bc);
        assertThat(sequence(rr, bc, 3)).isEqualTo("ABA"); // B, C, B
    }

    @Test
    void aWeightSetToZeroIsSkippedWithoutLosingThePosition() {
        ServiceTable abc = table(SchedulerKind.RR, 1, 1, 1);
        rr.tableChanged(null, abc);
        assertThat(sequence(rr, abc, 1)).isEqualTo("A");
        ServiceTable quiesced = table(SchedulerKind.RR, 1, 0, 1);
        rr.tableChanged(abc, quiesced);
        assertThat(sequence(rr, quiesced, 3)).isEqualTo("CAC");
    }
}
