package lbd.dataplane.worker;

import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.model.ConnectionThresholds;
import lbd.dataplane.counter.DestinationCounters;
import org.junit.jupiter.api.Test;

class WorkerShareTest {

    @Test
    void sharesAddUpToTheLimitExactly() {
        for (int count = 1; count <= 16; count++) {
            for (int total = 0; total <= 200; total++) {
                int sum = 0;
                for (int i = 0; i < count; i++) {
                    int share = WorkerShare.of(total, i, count);
                    assertThat(share).isBetween(total / count, total / count + 1);
                    sum += share;
                }
                assertThat(sum).as("total=%d workers=%d", total, count).isEqualTo(total);
            }
        }
    }

    @Test
    void anUpperThresholdIsSplitLikeMaxconnsAndALowerOneLeavesEachWorkerAtLeastOne() {
        ConnectionThresholds t = new ConnectionThresholds(5, 1);
        assertThat(WorkerShare.upper(t, 0, 2)).isEqualTo(3);
        assertThat(WorkerShare.upper(t, 1, 2)).isEqualTo(2);
        assertThat(WorkerShare.lower(t, 0, 2)).isEqualTo(1);
        assertThat(WorkerShare.lower(t, 1, 2)).as("its share of 1 is empty: it returns at 0").isEqualTo(1);
        assertThat(WorkerShare.upper(new ConnectionThresholds(1, 0), 1, 2)).as("an empty share").isZero();
        assertThat(WorkerShare.upper(ConnectionThresholds.NONE, 0, 2)).isEqualTo(DestinationCounters.UNLIMITED);
        assertThat(WorkerShare.lower(ConnectionThresholds.NONE, 0, 2)).isZero();
    }
}
