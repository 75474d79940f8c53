package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/**
 * CI smoke: both verdict benchmarks run (one short iteration each, in this JVM) and measure something; the
 * benchmark fails the run if a steady server sent the monitor a report.
 */
class CheckVerdictSmokeTest {

    @Test
    @Timeout(60)
    void upAndDownVerdictBenchmarksRunAndReportPositiveTimes() throws Exception {
        Collection<RunResult> results = SmokeRun.run(
                CheckVerdictBenchmark.class.getName() + ".(up|downSteady)$");
        assertThat(results).hasSize(2);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
    }
}
