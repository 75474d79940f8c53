package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import lbd.bench.SmokeRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;

/**
 * CI smoke: the SYN flood benchmark runs (one short iteration, in this JVM) and measures something. The benchmark
 * itself fails the run if a SYN was dropped or did not evict a half-open entry from the full table.
 */
class DrSynFloodSmokeTest {

    @Test
    @Timeout(60)
    void synToAFullTableRunsAndReportsAPositiveTime() throws Exception {
        Collection<RunResult> results = SmokeRun.run(DrSynFloodBenchmark.class.getName() + ".synToAFullTable$",
                "flows", "100000");
        assertThat(results).hasSize(1);
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
    }
}
