package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CheckDurationsTest {

    @Test
    void eachProbeLandsInTheFirstBucketThatHoldsIt() {
        LastCheck timing = LastCheck.none();
        timing.record(Duration.ofMillis(1).toNanos()); // on the bound: in it (le="0.001")
        timing.record(Duration.ofMillis(3).toNanos());
        timing.record(Duration.ofSeconds(60).toNanos()); // beyond 30 s: +Inf

        long[] counts = timing.durations().counts();
        assertThat(counts).hasSize(CheckDurations.BOUNDS_SECONDS.length);
        assertThat(counts[0]).isEqualTo(1);
        assertThat(counts[2]).isEqualTo(1); // 0.005
        assertThat(counts[counts.length - 1]).isEqualTo(1);
        assertThat(timing.durations().sumSeconds()).isEqualTo(60.004);
    }

    @Test
    void aRestartedCheckerGoesOnCountingIntoTheSameHistogram() {
        LastCheck first = LastCheck.of(Optional.empty());
        first.record(Duration.ofMillis(20).toNanos());
        LastCheck restarted = LastCheck.copyOf(first);
        restarted.record(Duration.ofMillis(20).toNanos());

        assertThat(restarted.durations().counts()[4]).isEqualTo(2); // 0.025
        assertThat(new RealServerStatus(new TestConfig().real(80),
                HealthState.UP, "ok", false, true, restarted).checkDurations()).isSameAs(first.durations());
    }
}
