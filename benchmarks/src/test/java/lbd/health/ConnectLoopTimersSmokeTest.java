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
 * CI smoke: the connect-loop timer benchmark runs (1,000 servers, one short iteration, in this JVM) and reports
 * a time per wake and per completed check; the benchmark fails the run unless every server was checked once per
 * interval.
 */
class ConnectLoopTimersSmokeTest {

    @Test
    @Timeout(60)
    void timerWheelBenchmarkRunsAndReportsTimePerCheck() throws Exception {
        Options options = new OptionsBuilder()
                .include(ConnectLoopTimersBenchmark.class.getName() + ".wake$")
                .param("servers", "1000")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertThat(results).hasSize(1);
        RunResult result = results.iterator().next();
        assertThat(result.getPrimaryResult().getScore()).isPositive();
        assertThat(result.getSecondaryResults()).containsKey("checks");
        assertThat(result.getSecondaryResults().get("checks").getScore()).isPositive();
    }
}
