package lbd.dataplane.sched;

import static lbd.dataplane.table.TestTables.counters;
import static lbd.dataplane.table.TestTables.table;
import static lbd.dataplane.table.TestTables.withConnections;
import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import org.junit.jupiter.api.Test;

/** sed, nq, fo and ovf on cases read off their kernel sources (ipvs-semantics-2.md, section 2). */
class SedNqFoOvfTest {

    @Test
    void sedMinimisesActivePlusOnePerWeightAndIgnoresInactive() {
        Scheduler sed = Schedulers.create(SchedulerKind.SED);
        DestinationCounters[] c = counters(2);
        withConnections(c[0], 0, 1_000); // (0 + 1) / 1: inactive connections do not count
        withConnections(c[1], 2, 0); // (2 + 1) / 3: equal, and A comes first
        assertThat(sed.pick(table(SchedulerKind.SED, 1, 3), c)).isEqualTo(0);
        withConnections(c[0], 1, 0); // (1 + 1) / 1 is more than 3 / 3
        assertThat(sed.pick(table(SchedulerKind.SED, 1, 3), c)).isEqualTo(1);
    }

    @Test
    void nqTakesTheFirstIdleServerWhateverItsWeightElseAsSed() {
        Scheduler nq = Schedulers.create(SchedulerKind.NQ);
        DestinationCounters[] c = counters(3);
        withConnections(c[0], 1, 0); // (1 + 1) / 100: sed would take it
        withConnections(c[2], 0, 50); // idle: no active connection (inactive ones do not count)
        assertThat(nq.pick(table(SchedulerKind.NQ, 100, 0, 1), c)).as("the idle one, weight 1").isEqualTo(2);
        withConnections(c[2], 1, 0); // nobody idle now: (1+1)/100 against (1+1)/1
        assertThat(nq.pick(table(SchedulerKind.NQ, 100, 0, 1), c)).isEqualTo(0);
    }

    @Test
    void foTakesTheHighestWeightFirstInListOrderAndIgnoresLoad() {
        Scheduler fo = Schedulers.create(SchedulerKind.FO);
        DestinationCounters[] c = counters(3);
        withConnections(c[1], 500, 0);
        assertThat(fo.pick(table(SchedulerKind.FO, 2, 5, 5), c)).isEqualTo(1);
        assertThat(fo.pick(table(SchedulerKind.FO, 0, 0, 0), c)).isEqualTo(-1);
    }

    @Test
    void ovfTakesTheHighestWeightUntilItsActiveConnectionsExceedItsWeight() {
        Scheduler ovf = Schedulers.create(SchedulerKind.OVF);
        DestinationCounters[] c = counters(2);
        withConnections(c[0], 3, 0); // 3 active of weight 3: still within
        assertThat(ovf.pick(table(SchedulerKind.OVF, 3, 1), c)).isEqualTo(0);
        withConnections(c[0], 1, 0); // 4 of 3: overflows to the next
        assertThat(ovf.pick(table(SchedulerKind.OVF, 3, 1), c)).isEqualTo(1);
        withConnections(c[1], 2, 0); // 2 of 1: nobody can take it
        assertThat(ovf.pick(table(SchedulerKind.OVF, 3, 1), c)).isEqualTo(-1);
    }

    @Test
    void ovfWithOneServerStopsWhenItOverflows() {
        Scheduler ovf = Schedulers.create(SchedulerKind.OVF);
        DestinationCounters[] c = counters(1);
        withConnections(c[0], 2, 0);
        assertThat(ovf.pick(table(SchedulerKind.OVF, 2), c)).isEqualTo(0);
        withConnections(c[0], 1, 0);
        assertThat(ovf.pick(table(SchedulerKind.OVF, 2), c)).isEqualTo(-1);
    }
}
