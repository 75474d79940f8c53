package lbd.bench.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/** CI smoke: the persistent-pick benchmark runs (one short iteration, in this JVM) and measures something. */
class PersistentPickSmokeTest {

    @Test
    @Timeout(60)
    void persistentPickBenchmarkRunsAndReportsAPositiveTime() throws Exception {
        Collection<RunResult> results = SmokeRun.run(
                PersistentPickBenchmark.class.getName() + ".bindAndRelease$", "networks", "1000", "servers", "16");
        assertThat(results).hasSize(1);
        assertThat(results.iterator().next().getPrimaryResult().getScore()).isPositive();
    }
}
