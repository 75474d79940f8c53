package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/** CI smoke: both connection-sync benchmarks run (one short iteration each, in this JVM) and measure something. */
class FlowSyncSmokeTest {

    @Test
    @Timeout(60)
    void withAndWithoutTheSyncRunAndReportPositiveTimes() throws Exception {
        Collection<RunResult> results = SmokeRun.run(FlowSyncBenchmark.class.getName() + ".newConnection(WithSync)?$");
        assertThat(results).hasSize(2);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
    }
}
