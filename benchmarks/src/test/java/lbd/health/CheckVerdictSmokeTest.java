package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * CI smoke: both verdict benchmarks run (one short iteration each, in this JVM) and measure something; the
 * benchmark fails the run if a steady server sent the monitor a report.
 */
class CheckVerdictSmokeTest {

    @Test
    @Timeout(60)
    void upAndDownVerdictBenchmarksRunAndReportPositiveTimes() throws Exception {
        Options options = new OptionsBuilder()
                .include(CheckVerdictBenchmark.class.getName() + ".(up|downSteady)$")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertThat(results).hasSize(2);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
    }
}
