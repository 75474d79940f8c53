package lbd.dataplane.sched;

import static lbd.dataplane.table.TestTables.counters;
import static lbd.dataplane.table.TestTables.table;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import org.junit.jupiter.api.Test;

/** sh and mh: how the kernel fills their tables, and Maglev's properties (ipvs-semantics-2.md, section 2). */
class HashingSchedulersTest {

    @Test
    void shDealsTheBucketsByWeightInListOrderAWeightZeroServerOnePerRound() {
        ServiceTable t = table(SchedulerKind.SH, 2, 1, 0);
        int[] buckets = new int[SourceHashScheduler.BUCKETS];
        SourceHashScheduler.deal(t.destinations(), buckets);
        assertThat(java.util.Arrays.copyOf(buckets, 8)).containsExactly(0, 0, 1, 2, 0, 0, 1, 2);
    }

    @Test
    void shSendsAClientToItsBucketsServerAndNowhereWhenThatServerHasWeightZero() {
        Scheduler sh = Schedulers.create(SchedulerKind.SH);
        ServiceTable t = table(SchedulerKind.SH, 1, 1, 0);
        DestinationCounters[] c = counters(3);
        for (int client = 0; client < 2_000; client++) {
            int bucket = KernelHashes.hash32(client, 8);
            int server = bucket % 3; // weights 1, 1, 0: one bucket each in turn
            assertThat(sh.pick(t, c, client)).as("client %d, bucket %d", client, bucket)
                    .isEqualTo(server == 2 ? -1 : server);
        }
    }

    @Test
    void mhGivesEqualServersEqualShares() {
        ServiceTable t = table(SchedulerKind.MH, ones(1_000));
        int[] lookup = MaglevScheduler.build(t.destinations(), lastWeights(t), 65521, 8);
        int[] slots = new int[1_000];
        for (int d : lookup) {
            slots[d]++;
        }
        // Each round every server takes one slot: 65 rounds, and 521 servers take a 66th.
        assertThat(java.util.Arrays.stream(slots).boxed().toList()).allSatisfy(n -> assertThat(n).isBetween(65, 66));
    }

    @Test
    void removingOneOfAThousandServersMovesItsOwnSlotsAndAtMostOnePercentMore() {
        ServiceTable all = table(SchedulerKind.MH, ones(1_000));
        int[] before = MaglevScheduler.build(all.destinations(), lastWeights(all), 65521, 8);
        List<Destination> without = new ArrayList<>();
        int removed = 500;
        for (Destination d : all.destinations()) {
            if (d.index() != removed) {
                without.add(new Destination(without.size(), d.key(), d.forwarding(), d.weight()));
            }
        }
        ServiceTable less = new ServiceTable(all.key(), all.scheduler(), without, all.fallback(), 0,
                all.connectTimeout(), all.idleTimeout());
        int[] after = MaglevScheduler.build(less.destinations(), lastWeights(less), 65521, 8);
        int moved = 0;
        for (int slot = 0; slot < before.length; slot++) {
            if (before[slot] == removed) {
                continue; // its clients must move
            }
            int was = before[slot] > removed ? before[slot] - 1 : before[slot]; // indices after it shift by one
            if (after[slot] != was) {
                moved++;
            }
        }
        assertThat(moved).as("slots of other servers that changed").isLessThanOrEqualTo(65521 / 100);
    }

    @Test
    void mhIsTheSameTableWhoeverBuildsItAndWeightsShareTheSlots() {
        ServiceTable t = table(SchedulerKind.MH, 1, 3);
        int[] a = MaglevScheduler.build(t.destinations(), lastWeights(t), 4093, 6);
        int[] b = MaglevScheduler.build(t.destinations(), lastWeights(t), 4093, 6);
        assertThat(a).isEqualTo(b); // no seed, no randomness: every director builds this table
        int[] slots = new int[2];
        for (int d : a) {
            slots[d]++;
        }
        assertThat(slots[0] + slots[1]).isEqualTo(4093);
        assertThat(slots[1]).isBetween(3 * slots[0] - 3, 3 * slots[0] + 3); // turns 1 and 3 per round
    }

    @Test
    void quiescingAServerMovesNobodyElseAndLeavesItsClientsWithoutAServer() {
        MaglevScheduler mh = new MaglevScheduler();
        DestinationCounters[] c = counters(3);
        ServiceTable up = table(SchedulerKind.MH, 1, 1, 1);
        int[] before = new int[500];
        for (int client = 0; client < before.length; client++) {
            before[client] = mh.pick(up, c, client * 7919);
        }
        ServiceTable quiesced = table(SchedulerKind.MH, 1, 0, 1); // last_weight keeps server 1's slots
        for (int client = 0; client < before.length; client++) {
            int now = mh.pick(quiesced, c, client * 7919);
            assertThat(now).as("client %d", client).isEqualTo(before[client] == 1 ? -1 : before[client]);
        }
    }

    private static int[] ones(int n) {
        int[] w = new int[n];
        java.util.Arrays.fill(w, 1);
        return w;
    }

    private static java.util.Map<lbd.config.model.RealServerKey, Integer> lastWeights(ServiceTable t) {
        java.util.Map<lbd.config.model.RealServerKey, Integer> m = new java.util.HashMap<>();
        t.destinations().forEach(d -> m.put(d.key(), d.weight()));
        return m;
    }
}
