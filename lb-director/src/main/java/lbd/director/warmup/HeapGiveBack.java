package lbd.director.warmup;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * The collection that ends the warm-up, and the heap it grew given back: the warm-up's connections grow the heap
 * (G1 from the launcher's 16 MiB start to 22-26 MiB), and a full collection then keeps it as long as no more than
 * MaxHeapFreeRatio (70 %) of it is free, which the ~8 MB the director keeps afterwards never exceed. So for this one
 * collection MaxHeapFreeRatio is 10 % (MinHeapFreeRatio 0, which may not exceed it): the heap shrinks to what is live
 * plus 10 %, never below the start size (-Xms), and the collector gives the rest back to the system. Both are
 * manageable flags, restored right after; the collector's own sizing under load is unchanged. A JVM that refuses
 * them (not HotSpot) gets the collection alone.
 */
final class HeapGiveBack {

    private static final String MIN = "MinHeapFreeRatio";
    private static final String MAX = "MaxHeapFreeRatio";
    private static final String SHRINK_TO_PERCENT_FREE = "10";

    private HeapGiveBack() {
    }

    /** Collects all garbage, then gives back the heap above what is live plus 10 % (and above -Xms). */
    static void collect() {
        HotSpotDiagnosticMXBean hotspot;
        String min;
        String max;
        try {
            hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            min = hotspot.getVMOption(MIN).getValue();
            max = hotspot.getVMOption(MAX).getValue();
        } catch (RuntimeException e) {
            System.gc();
            return;
        }
        try {
            hotspot.setVMOption(MIN, "0");
            hotspot.setVMOption(MAX, SHRINK_TO_PERCENT_FREE);
            System.gc();
        } catch (RuntimeException e) {
            System.gc(); // the flags refused: the collection alone
        } finally {
            hotspot.setVMOption(MAX, max);
            hotspot.setVMOption(MIN, min);
        }
    }
}
