package lbd.bench.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** CI smoke: the config-parse benchmark loads its generated 100-service file (one short iteration, in this JVM). */
class ConfigParseSmokeTest {

    @Test
    @Timeout(60)
    void loadingTheGeneratedFileRunsAndReportsAPositiveTime() throws Exception {
        Options options = new OptionsBuilder()
                .include(ConfigParseBenchmark.class.getName() + ".loadFile$")
                .param("services", "100")
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
