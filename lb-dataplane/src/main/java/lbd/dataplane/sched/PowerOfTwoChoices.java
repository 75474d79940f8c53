package lbd.dataplane.sched;

import java.util.SplittableRandom;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;

/**
 * IPVS twos (ip_vs_twos.c): two servers drawn at random, each with probability by weight, and the less loaded
 * of the two per weight ({@code active * 256 + inactive}, as wlc) — the first drawn unless the second is strictly
 * better. The kernel's draw, kept: a random 32-bit value mod {@code T + 1} (T the sum of the weights > 0 of the servers not overloaded, the only ones drawn), then a
 * walk subtracting each weight until it is at or below 0, so the first server gets weight + 1 chances in T + 1.
 * The products are compared in 64 bits (the kernel's int products could overflow only at absurd counts).
 * Confined to the worker thread: its own random generator, no allocation.
 */
final class PowerOfTwoChoices implements Scheduler {

    private final SplittableRandom random;

    PowerOfTwoChoices() {
        this(new SplittableRandom());
    }

    /** With a given generator (tests). */
    PowerOfTwoChoices(SplittableRandom random) {
        this.random = random;
    }

    @Override
    public int pick(ServiceTable table, DestinationCounters[] counters) {
        var list = table.destinations();
        long total = 0;
        for (int i = 0; i < list.size(); i++) {
            if (!counters[i].overloaded()) {
                total += Math.max(0, list.get(i).weight());
            }
        }
        if (total == 0) {
            return -1;
        }
        int r1 = (int) Long.remainderUnsigned(random.nextInt() & 0xFFFF_FFFFL, total + 1);
        int r2 = (int) Long.remainderUnsigned(random.nextInt() & 0xFFFF_FFFFL, total + 1);
        return choose(table, counters, r1, r2);
    }

    /** The kernel's walk for the draws {@code r1}, {@code r2} in [0, T]. */
    static int choose(ServiceTable table, DestinationCounters[] counters, long r1, long r2) {
        var list = table.destinations();
        int choice1 = -1;
        int choice2 = -1;
        for (int i = 0; i < list.size() && (choice1 < 0 || choice2 < 0); i++) {
            int w = list.get(i).weight();
            if (w <= 0 || counters[i].overloaded()) {
                continue;
            }
            r1 -= w;
            r2 -= w;
            if (r1 <= 0 && choice1 < 0) {
                choice1 = i;
            }
            if (r2 <= 0 && choice2 < 0) {
                choice2 = i;
            }
        }
        long w1 = list.get(choice1).weight();
        long w2 = list.get(choice2).weight();
        long o1 = LoadRule.connOverhead(counters[choice1]);
        long o2 = LoadRule.connOverhead(counters[choice2]);
        return w2 * o1 > w1 * o2 ? choice2 : choice1;
    }

    @Override
    public void tableChanged(ServiceTable previous, ServiceTable next) {
        // Nothing kept between picks.
    }
}
