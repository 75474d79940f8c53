package lbd.dataplane.sched;

import static lbd.dataplane.table.TestTables.counters;
import static lbd.dataplane.table.TestTables.table;
import static lbd.dataplane.table.TestTables.withConnections;
import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import org.junit.jupiter.api.Test;

/** lblc and lblcr, read off ip_vs_lblc.c and ip_vs_lblcr.c (ipvs-semantics-2.md, section 2). */
class LblcLblcrTest {

    private static final long DAY = 24 * 3600 * 1000L;

    @Test
    void lblcKeepsItsServerUntilItIsOverloadedWhileAnotherIsUnderHalfItsWeight() {
        LocalityBasedLeastConnection lblc = new LocalityBasedLeastConnection();
        ServiceTable t = table(SchedulerKind.LBLC, 1, 1, 1);
        DestinationCounters[] c = counters(3);
        assertThat(lblc.pickAt(t, c, 0)).isZero(); // wlc's choice, cached
        withConnections(c[0], 1, 5); // busier than the others, but not above its weight
        assertThat(lblc.pickAt(t, c, 1)).isZero();
        withConnections(c[0], 1, 0); // 2 active > weight 1, and server 1 has 0 * 2 < 1: overloaded
        assertThat(lblc.pickAt(t, c, 2)).isEqualTo(1);
        assertThat(lblc.pickAt(t, c, 3)).as("the new entry").isEqualTo(1);
    }

    @Test
    void lblcForgetsAnEntryUnusedForADayAndOneWhoseServerHasWeightZero() {
        LocalityBasedLeastConnection lblc = new LocalityBasedLeastConnection();
        DestinationCounters[] c = counters(2);
        assertThat(lblc.pickAt(table(SchedulerKind.LBLC, 1, 1), c, 0)).isZero();
        withConnections(c[0], 0, 3); // wlc now prefers server 1
        assertThat(lblc.pickAt(table(SchedulerKind.LBLC, 1, 1), c, DAY)).as("used within a day").isZero();
        assertThat(lblc.pickAt(table(SchedulerKind.LBLC, 1, 1), c, 2 * DAY + 1)).as("unused for a day").isEqualTo(1);
        withConnections(c[1], 0, 10);
        assertThat(lblc.pickAt(table(SchedulerKind.LBLC, 1, 0), c, 2 * DAY + 2)).as("its server at weight 0").isZero();
    }

    @Test
    void lblcrGrowsItsSetUnderOverloadPicksTheLeastLoadedMemberAndShedsTheMostLoadedDaily() {
        LocalityBasedReplication lblcr = new LocalityBasedReplication();
        ServiceTable t = table(SchedulerKind.LBLCR, 1, 1, 1);
        DestinationCounters[] c = counters(3);
        assertThat(lblcr.pickAt(t, c, 0)).isZero();
        withConnections(c[0], 2, 0); // overloaded: server 1 is idle
        assertThat(lblcr.pickAt(t, c, 1)).as("wlc over the service, joins the set").isEqualTo(1);
        assertThat(lblcr.members()).extracting(k -> k.address().address().getHostAddress())
                .containsExactly("198.18.0.2", "198.18.0.1");
        assertThat(lblcr.pickAt(t, c, 2)).as("the set's least loaded").isEqualTo(1);
        assertThat(lblcr.pickAt(t, c, DAY + 2)).as("a day unchanged: the most loaded leaves").isEqualTo(1);
        assertThat(lblcr.members()).hasSize(1);
    }
}
