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

        DrOptions sixteen = DrOptions.defaults().withWorkers(16).withFlowBudget(GIB / 2);
        assertThat(sixteen.flowsPerWorker()).isEqualTo((int) (GIB / 2 / 16 / DrOptions.HEAP_BYTES_PER_FLOW));
        assertThat(16L * sixteen.flowsPerWorker() * DrOptions.HEAP_BYTES_PER_FLOW).isLessThanOrEqualTo(GIB / 2);

        DrOptions tiny = DrOptions.defaults().withWorkers(64).withFlowBudget(16L << 20);
        assertThat(tiny.flowsPerWorker()).isEqualTo(DrOptions.MIN_FLOWS_PER_WORKER);
    }

    /**
     * HEAP_BYTES_PER_FLOW against what a flow table's arrays take, with a backup's sync on: counted from the arrays
     * themselves (a field added to the table counts here), with the fifth G1 loses around arrays this large.
     */
    @Test
    void aFlowTableTakesNoMoreThanItsBudgetSays() throws IllegalAccessException {
        int capacity = 1 << 16;
        FlowTable table = new FlowTable(capacity, 0);
        table.changeListener((t, e, now) -> { });
        long bytes = arrayBytes(table, 0);
        assertThat(bytes * 5 / 4).as("%d bytes of arrays per entry", bytes / capacity)
                .isLessThanOrEqualTo((long) capacity * DrOptions.HEAP_BYTES_PER_FLOW);
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
