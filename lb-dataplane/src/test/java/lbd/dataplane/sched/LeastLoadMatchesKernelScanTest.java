package lbd.dataplane.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import lbd.config.PropertySeed;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.TestTables;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * lc, wlc, sed, nq, fo and ovf keep their choice current as counts change; after any sequence of connection
 * events and table changes the choice must be what the kernel's scan (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c,
 * ip_vs_nq.c, ip_vs_fo.c, ip_vs_ovf.c, written out below) returns. Some servers have small connection
 * thresholds, so the OVERLOAD flag comes and goes with the counts and with threshold edits; the kernel's scans
 * skip an overloaded server.
 */
class LeastLoadMatchesKernelScanTest {

    /** 1..70 servers with weights 0..4 (small, so that ties, which decide list order, are common). */
    private static Gen<List<Integer>> weightLists() {
        return lists().of(integers().between(0, 4)).ofSizeBetween(1, 70);
    }

    @Test
    void lcPicksWhatTheKernelScanPicks() {
        qt().withFixedSeed(PropertySeed.seed()).withExamples(150)
                .forAll(weightLists(), integers().all())
                .checkAssert((weights, seed) -> replay(SchedulerKind.LC, weights, seed));
    }

    @Test
    void wlcPicksWhatTheKernelScanPicks() {
        qt().withFixedSeed(PropertySeed.seed()).withExamples(150)
                .forAll(weightLists(), integers().all())
                .checkAssert((weights, seed) -> replay(SchedulerKind.WLC, weights, seed));
    }

    @Test
    void sedPicksWhatTheKernelScanPicks() {
        qt().withFixedSeed(PropertySeed.seed()).withExamples(150)
                .forAll(weightLists(), integers().all())
                .checkAssert((weights, seed) -> replay(SchedulerKind.SED, weights, seed));
    }

    @Test
    void nqPicksWhatTheKernelScanPicks() {
        qt().withFixedSeed(PropertySeed.seed()).withExamples(150)
                .forAll(weightLists(), integers().all())
                .checkAssert((weights, seed) -> replay(SchedulerKind.NQ, weights, seed));
    }

    @Test
    void foPicksWhatTheKernelScanPicks() {
        qt().withFixedSeed(PropertySeed.seed()).withExamples(150)
                .forAll(weightLists(), integers().all())
                .checkAssert((weights, seed) -> replay(SchedulerKind.FO, weights, seed));
    }

    @Test
    void ovfPicksWhatTheKernelScanPicks() {
        qt().withFixedSeed(PropertySeed.seed()).withExamples(150)
                .forAll(weightLists(), integers().all())
                .checkAssert((weights, seed) -> replay(SchedulerKind.OVF, weights, seed));
    }

    @Test
    void aRetiredSchedulerStillAnswersButNoLongerFollowsTheCounters() {
        ServiceTable table = TestTables.table(SchedulerKind.LC, 1, 1);
        DestinationCounters[] counters = TestTables.counters(2);
        Scheduler retired = Schedulers.create(SchedulerKind.LC);
        assertThat(retired.pick(table, counters)).isZero();
        retired.retire(); // the worker dropped its slot (service removed, or its scheduler edited)
        Scheduler current = Schedulers.create(SchedulerKind.LC);
        assertThat(current.pick(table, counters)).isZero();
        counters[0].connectionScheduled();
        // A connection still holding the dropped slot (a connect retry) gets the right answer...
        assertThat(retired.pick(table, counters)).as("retired, A has a connection").isEqualTo(1);
        // ...without taking the counters from the scheduler that replaced it, which keeps following them.
        counters[1].connectionScheduled();
        counters[1].connectionEstablished(); // B costs 256 now, A 1
        assertThat(current.pick(table, counters)).as("current, B has an established connection").isZero();
    }

    /** Random opens, establishments, closes and table edits, checking the choice after every step. */
    private static void replay(SchedulerKind kind, List<Integer> weightList, int seed) {
        Random random = new Random(seed);
        int[] weights = weightList.stream().mapToInt(Integer::intValue).toArray();
        DestinationCounters[] counters = TestTables.counters(weights.length);
        List<DestinationCounters> removed = new ArrayList<>();
        ServiceTable table = TestTables.table(kind, weights);
        Scheduler scheduler = Schedulers.create(kind);
        for (DestinationCounters c : counters) {
            limitAtRandom(c, random);
        }
        for (int step = 0; step < 400; step++) {
            int expected = kernelScan(kind, weights, counters);
            assertThat(scheduler.pick(table, counters)).as("step %d, weights %s", step, Arrays.toString(weights))
                    .isEqualTo(expected);
            int op = random.nextInt(22);
            // Connections to servers a reload removed still open and close: their counts move too.
            DestinationCounters any = !removed.isEmpty() && random.nextInt(4) == 0
                    ? removed.get(random.nextInt(removed.size()))
                    : counters[random.nextInt(counters.length)];
            if (op < 8 && expected >= 0) {
                counters[expected].connectionScheduled();
            } else if (op < 12 && any.inactiveConnections() > 0) {
                any.connectionEstablished();
            } else if (op < 14 && any.activeConnections() > 0) {
                any.connectionClosing();
            } else if (op < 16 && any.inactiveConnections() > 0) {
                any.inactiveConnectionGone();
            } else if (op < 17 && any.activeConnections() > 0) {
                any.activeConnectionGone();
            } else if (op == 17) {
                // A reload edits one weight: a new table, the same counters in a new array (as ServiceSlot does)
                weights = weights.clone();
                weights[random.nextInt(weights.length)] = random.nextInt(5);
                table = TestTables.table(kind, weights);
                scheduler.tableChanged(null, table);
                counters = counters.clone();
            } else if (op == 18 && counters.length > 1) {
                // A reload removes the first server: every other one moves up a place in the list
                removed.add(counters[0]);
                weights = Arrays.copyOfRange(weights, 1, weights.length);
                counters = Arrays.copyOfRange(counters, 1, counters.length);
                table = TestTables.table(kind, weights);
            } else if (op == 19) {
                // A reload adds a server at the end of the list
                weights = Arrays.copyOf(weights, weights.length + 1);
                weights[weights.length - 1] = 1 + random.nextInt(4);
                counters = Arrays.copyOf(counters, counters.length + 1);
                counters[counters.length - 1] = new DestinationCounters();
                table = TestTables.table(kind, weights);
            } else if (op >= 20) {
                limitAtRandom(any, random); // lbadm -e -x/-y, or a reload with other thresholds
            }
        }
    }

    /** Half the servers without thresholds, the others with an upper share of 0..4 and a lower of 0..upper. */
    private static void limitAtRandom(DestinationCounters c, Random random) {
        if (random.nextBoolean()) {
            c.limit(DestinationCounters.UNLIMITED, 0);
        } else {
            int upper = random.nextInt(5);
            c.limit(upper, random.nextInt(upper + 1));
        }
    }

    /** The kernel's scans, as ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c, ip_vs_fo.c, ip_vs_ovf.c write them
     * (on purpose not the main code's rules). */
    private static int kernelScan(SchedulerKind kind, int[] weights, DestinationCounters[] counters) {
        int least = -1;
        long loh = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] == 0 || counters[i].overloaded()) {
                continue;
            }
            int active = counters[i].activeConnections();
            long doh = switch (kind) {
                case LC, WLC -> ((long) active << 8) + counters[i].inactiveConnections();
                case SED, NQ -> active + 1L;
                default -> active;
            };
            switch (kind) {
                case LC -> {
                    if (least < 0 || doh < loh) {
                        least = i;
                        loh = doh;
                    }
                }
                case WLC, SED -> {
                    if (least < 0 || loh * weights[i] > doh * weights[least]) {
                        least = i;
                        loh = doh;
                    }
                }
                case NQ -> {
                    if (active == 0) {
                        return i; // "return the server directly if it is idle"
                    }
                    if (least < 0 || loh * weights[i] > doh * weights[least]) {
                        least = i;
                        loh = doh;
                    }
                }
                case FO -> {
                    if (least < 0 || weights[i] > weights[least]) {
                        least = i;
                    }
                }
                case OVF -> {
                    if (active <= weights[i] && (least < 0 || weights[i] > weights[least])) {
                        least = i;
                    }
                }
                default -> throw new AssertionError(kind);
            }
        }
        return least;
    }
}
