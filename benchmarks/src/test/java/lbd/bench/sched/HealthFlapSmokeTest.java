package lbd.bench.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/** CI smoke: both health-flap publications run (one short iteration, in this JVM) and measure something. */
class HealthFlapSmokeTest {

    @Test
    @Timeout(60)
    void bothPublicationsRunAndReportAPositiveTime() throws Exception {
        Collection<RunResult> results = SmokeRun.run(HealthFlapBenchmark.class.getName(), "services", "10");
        assertThat(results).hasSize(2);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
    }
}
