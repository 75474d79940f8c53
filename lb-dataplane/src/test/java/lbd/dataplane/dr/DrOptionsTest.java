package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import lbd.dataplane.dr.flow.FlowTable;
import org.junit.jupiter.api.Test;

class DrOptionsTest {

    private static final long GIB = 1L << 30;

    /** lbd's default heap (1 GiB, half of it for the tables): few workers get full tables, many share the half. */
    @Test
    void theWorkersTablesTogetherTakeAtMostTheBudget() {
        DrOptions two = DrOptions.defaults().withWorkers(2).withFlowBudget(GIB / 2);
        assertThat(two.flowsPerWorker()).isEqualTo(DrOptions.MAX_FLOWS_PER_WORKER);

        for (int workers : new int[] {3, 12, 16, 64}) {
            int flows = DrOptions.defaults().withWorkers(workers).withFlowBudget(GIB / 2).flowsPerWorker();
            assertThat(workers * DrOptions.heapBytes(flows)).as("%d workers", workers).isLessThanOrEqualTo(GIB / 2);
            assertThat(flows == DrOptions.MAX_FLOWS_PER_WORKER
                    || workers * DrOptions.heapBytes(flows + 1) > GIB / 2).as("%d workers: the most that fit", workers)
                    .isTrue();
        }

        DrOptions tiny = DrOptions.defaults().withWorkers(64).withFlowBudget(16L << 20);
        assertThat(tiny.flowsPerWorker()).isEqualTo(DrOptions.MIN_FLOWS_PER_WORKER);
    }

    /**
     * FlowTable.arrayBytes, which the budget counts by, against the arrays a table holds with a backup's sync on:
     * counted from the arrays themselves (an array added to the table counts here), at capacities whose bucket
     * arrays are two and nearly four times their size.
     */
    @Test
    void aFlowTablesArraysAreWhatItsSizeSays() throws IllegalAccessException {
        for (int capacity : new int[] {1 << 16, (1 << 16) + 1, 100_000}) {
            FlowTable table = new FlowTable(capacity, 0);
            table.changeListener((t, e, now) -> { });
            // Beside the arrays of an entry each, a few of fixed size (the wheel's spokes, the timeouts): under 8 KiB.
            assertThat(arrayBytes(table, 0)).as("capacity %d", capacity).isBetween(FlowTable.arrayBytes(capacity),
                    FlowTable.arrayBytes(capacity) + 8192);
        }
    }

    /** The bytes of the arrays an object holds, and of those its non-array fields of lbd's classes hold. */
    private static long arrayBytes(Object o, int depth) throws IllegalAccessException {
        long sum = 0;
        for (Class<?> c = o.getClass(); c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                    continue;
                }
                f.setAccessible(true);
                Object v = f.get(o);
                if (v == null) {
                    continue;
                }
                if (v.getClass().isArray()) {
                    Class<?> e = v.getClass().getComponentType();
                    int size = e == long.class || e == double.class ? 8 : e == byte.class || e == boolean.class ? 1
                            : e == short.class || e == char.class ? 2 : 4; // int, float, compressed references
                    sum += (long) Array.getLength(v) * size;
                } else if (depth < 1 && v.getClass().getName().startsWith("lbd.")) {
                    sum += arrayBytes(v, depth + 1);
                }
            }
        }
        return sum;
    }
}
