package lbd.bench.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** CI smoke: the scheduler benchmark runs (one short iteration, in this JVM) and measures something. */
class SchedulerPickSmokeTest {

    @Test
    @Timeout(60)
    void wrrPickBenchmarkRunsAndReportsAPositiveTime() throws Exception {
        Options options = new OptionsBuilder()
                .include(SchedulerPickBenchmark.class.getName() + ".pick$")
                .param("scheduler", "wrr")
                .param("servers", "16")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertThat(results).hasSize(1);
        assertThat(results.iterator().next().getPrimaryResult().getScore()).isPositive();
    }
}
