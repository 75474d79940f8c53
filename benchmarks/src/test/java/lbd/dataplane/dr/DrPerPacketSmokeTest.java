package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/**
 * CI smoke: both DR per-frame benchmarks run (one short iteration each, in this JVM) and measure something. The
 * benchmark itself fails the run if any frame was dropped instead of forwarded.
 */
class DrPerPacketSmokeTest {

    @Test
    @Timeout(60)
    void existingAndNewFlowBenchmarksRunAndReportPositiveTimes() throws Exception {
        Collection<RunResult> results = SmokeRun.run(
                DrPerPacketBenchmark.class.getName() + ".(existingFlow|newFlow)$", "flows", "1000");
        assertThat(results).hasSize(2);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
    }
}
