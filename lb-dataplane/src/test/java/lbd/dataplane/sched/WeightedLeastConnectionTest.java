package lbd.dataplane.sched;

import static lbd.dataplane.table.TestTables.counters;
import static lbd.dataplane.table.TestTables.table;
import static lbd.dataplane.table.TestTables.withConnections;
import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import org.junit.jupiter.api.Test;

class WeightedLeastConnectionTest {

    private final Scheduler wlc = Schedulers.create(SchedulerKind.WLC);

    @Test
    void minimisesOverheadPerWeight() {
        DestinationCounters[] c = counters(2);
        withConnections(c[0], 1, 0); // 256 / 1
        withConnections(c[1], 2, 0); // 512 / 3 is less
        assertThat(wlc.pick(table(SchedulerKind.WLC, 1, 3), c)).isEqualTo(1);
    }

    @Test
    void anEqualRatioKeepsTheFirstInListOrder() {
        DestinationCounters[] c = counters(3);
        withConnections(c[0], 0, 10); // 10 / 1
        withConnections(c[1], 0, 30); // 30 / 3: equal; the kernel replaces only on '>'
        withConnections(c[2], 0, 21); // 21 / 2 is more
        assertThat(wlc.pick(table(SchedulerKind.WLC, 1, 3, 2), c)).isEqualTo(0);
    }

    @Test
    void theFirstCandidateIsTheFirstServerWithWeight() {
        DestinationCounters[] c = counters(3);
        withConnections(c[1], 0, 7);
        withConnections(c[2], 0, 7);
        // A has no connections but weight 0: B is the first candidate and C only ties it.
        assertThat(wlc.pick(table(SchedulerKind.WLC, 0, 1, 1), c)).isEqualTo(1);
    }

    @Test
    void aLaterServerWithWeightZeroNeverWins() {
        DestinationCounters[] c = counters(2);
        withConnections(c[0], 50, 0);
        assertThat(wlc.pick(table(SchedulerKind.WLC, 1, 0), c)).isEqualTo(0);
    }

    @Test
    void comparesIn64Bits() {
        DestinationCounters[] c = counters(2);
        // 300000 active * 256 = 76.8M overhead; * weight 100 overflows 32 bits.
        withConnections(c[0], 300_000, 0);
        withConnections(c[1], 299_999, 0);
        assertThat(wlc.pick(table(SchedulerKind.WLC, 100, 100), c)).isEqualTo(1);
    }

    @Test
    void noServerWithWeightReturnsMinusOne() {
        assertThat(wlc.pick(table(SchedulerKind.WLC, 0, 0), counters(2))).isEqualTo(-1);
        assertThat(wlc.pick(table(SchedulerKind.WLC), counters(0))).isEqualTo(-1);
    }
}
