package lbd.dataplane.sched;

import static lbd.dataplane.table.TestTables.counters;
import static lbd.dataplane.table.TestTables.table;
import static lbd.dataplane.table.TestTables.withConnections;
import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import org.junit.jupiter.api.Test;

class LeastConnectionTest {

    private final Scheduler lc = Schedulers.create(SchedulerKind.LC);

    @Test
    void anActiveConnectionWeighs256InactiveOnes() {
        DestinationCounters[] c = counters(3);
        withConnections(c[0], 1, 0);   // 256
        withConnections(c[1], 0, 257); // 257
        withConnections(c[2], 0, 255); // 255
        assertThat(lc.pick(table(SchedulerKind.LC, 1, 1, 1), c)).isEqualTo(2);
    }

    @Test
    void tiesGoToTheFirstInListOrder() {
        DestinationCounters[] c = counters(3);
        withConnections(c[0], 0, 300);
        withConnections(c[1], 1, 0);   // 256
        withConnections(c[2], 0, 256); // 256
        assertThat(lc.pick(table(SchedulerKind.LC, 1, 1, 1), c)).isEqualTo(1);
    }

    @Test
    void weightIsIgnoredExceptThatZeroIsNeverChosen() {
        DestinationCounters[] c = counters(3);
        withConnections(c[1], 0, 5);
        withConnections(c[2], 0, 4);
        assertThat(lc.pick(table(SchedulerKind.LC, 0, 100, 1), c)).isEqualTo(2);
    }

    @Test
    void noServerWithWeightReturnsMinusOne() {
        assertThat(lc.pick(table(SchedulerKind.LC, 0, 0), counters(2))).isEqualTo(-1);
        assertThat(lc.pick(table(SchedulerKind.LC), counters(0))).isEqualTo(-1);
    }
}
