package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import lbd.config.PropertySeed;

import org.junit.jupiter.api.Test;

class RealServerHealthTest {

    @Test
    void failurecountThreeNeedsThreeConsecutiveFailures() {
        RealServerHealth health = new RealServerHealth(HealthState.UP, 3);
        assertThat(health.recordFailure()).isFalse();
        assertThat(health.recordFailure()).isFalse();
        assertThat(health.state()).isEqualTo(HealthState.UP);
        assertThat(health.recordFailure()).isTrue();
        assertThat(health.state()).isEqualTo(HealthState.DOWN);
    }

    @Test
    void aSuccessInBetweenResetsTheCount() {
        RealServerHealth health = new RealServerHealth(HealthState.UP, 3);
        health.recordFailure();
        health.recordFailure();
        assertThat(health.recordSuccess()).isFalse();
        health.recordFailure();
        health.recordFailure();
        assertThat(health.state()).isEqualTo(HealthState.UP);
    }

    @Test
    void oneSuccessBringsADownServerUp() {
        RealServerHealth health = new RealServerHealth(HealthState.DOWN, 5);
        assertThat(health.recordSuccess()).isTrue();
        assertThat(health.state()).isEqualTo(HealthState.UP);
    }

    @Test
    void maintenanceForcesDownAtOnceWhateverTheCount() {
        RealServerHealth health = new RealServerHealth(HealthState.UP, 10);
        assertThat(health.forceDown()).isTrue();
        assertThat(health.state()).isEqualTo(HealthState.DOWN);
        assertThat(health.recordSuccess()).isTrue();
    }

    /** Against a model: DOWN exactly when the run of trailing failures reached failurecount since the last UP. */
    @Test
    void followsLdirectordSemantics() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(1000)
                .forAll(lists().of(booleans().all()).ofSizeBetween(0, 60), integers().between(1, 5))
                .checkAssert(RealServerHealthTest::followsLdirectordSemantics);
    }

    private static void followsLdirectordSemantics(List<Boolean> results, int failureCount) {
        RealServerHealth health = new RealServerHealth(HealthState.DOWN, failureCount);
        boolean up = false;
        int run = 0;
        for (boolean success : results) {
            boolean changed = success ? health.recordSuccess() : health.recordFailure();
            boolean wasUp = up;
            if (success) {
                run = 0;
                up = true;
            } else {
                run++;
                if (run >= failureCount) {
                    up = false;
                }
            }
            assertThat(health.state()).isEqualTo(up ? HealthState.UP : HealthState.DOWN);
            assertThat(changed).isEqualTo(wasUp != up);
        }
    }
}
