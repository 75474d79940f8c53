package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/**
 * CI smoke: the connect-loop timer benchmark runs (1,000 servers, one short iteration, in this JVM) and reports
 * a time per wake and per completed check; the benchmark fails the run unless every server was checked once per
 * interval.
 */
class ConnectLoopTimersSmokeTest {

    @Test
    @Timeout(60)
    void timerWheelBenchmarkRunsAndReportsTimePerCheck() throws Exception {
        Collection<RunResult> results = SmokeRun.run(
                ConnectLoopTimersBenchmark.class.getName() + ".wake$", "servers", "1000");
        assertThat(results).hasSize(1);
        RunResult result = results.iterator().next();
        assertThat(result.getPrimaryResult().getScore()).isPositive();
        assertThat(result.getSecondaryResults()).containsKey("checks");
        assertThat(result.getSecondaryResults().get("checks").getScore()).isPositive();
    }
}
