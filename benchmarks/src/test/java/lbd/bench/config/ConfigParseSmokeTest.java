package lbd.bench.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/** CI smoke: the config-parse benchmark loads its generated 100-service file (one short iteration, in this JVM). */
class ConfigParseSmokeTest {

    @Test
    @Timeout(60)
    void loadingTheGeneratedFileRunsAndReportsAPositiveTime() throws Exception {
        Collection<RunResult> results = SmokeRun.run(
                ConfigParseBenchmark.class.getName() + ".loadFile$", "services", "100");
        assertThat(results).hasSize(1);
        assertThat(results.iterator().next().getPrimaryResult().getScore()).isPositive();
    }
}
