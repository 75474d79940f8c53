package lbd.dataplane.dr;

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
 * CI smoke: both DR per-frame benchmarks run (one short iteration each, in this JVM) and measure something. The
 * benchmark itself fails the run if any frame was dropped instead of forwarded.
 */
class DrPerPacketSmokeTest {

    @Test
    @Timeout(60)
    void existingAndNewFlowBenchmarksRunAndReportPositiveTimes() throws Exception {
        Options options = new OptionsBuilder()
                .include(DrPerPacketBenchmark.class.getName() + ".(existingFlow|newFlow)$")
                .param("flows", "1000")
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
