package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PublishedVerdictTest {

    private final TestConfig config = TestConfig.connect();
    private final RealServerStatus unchecked = new RealServerStatus(config.real(80), HealthState.DOWN,
            "not checked yet", false, false);

    @Test
    void theFirstVerdictIsAlwaysToldEvenWhenItLeavesTheServerDown() {
        PublishedVerdict verdict = new PublishedVerdict(unchecked);
        assertThat(verdict.update(HealthState.DOWN, "not checked yet", false)).isTrue();
        assertThat(verdict.update(HealthState.DOWN, "not checked yet", false)).isFalse();
    }

    @Test
    void onlyWhatAnOperatorSeesChangeIsTold() {
        PublishedVerdict verdict = new PublishedVerdict(unchecked);
        assertThat(verdict.update(HealthState.UP, "connect: connected", false)).isTrue();
        assertThat(verdict.update(HealthState.UP, "connect: connected", false)).as("same").isFalse();
        assertThat(verdict.update(HealthState.UP, new String("connect: connected"), false))
                .as("an equal reason built anew").isFalse();
        assertThat(verdict.update(HealthState.UP, "connect: connection refused", false)).as("reason").isTrue();
        assertThat(verdict.update(HealthState.DOWN, "connect: connection refused", false)).as("state").isTrue();
        assertThat(verdict.update(HealthState.DOWN, "connect: connection refused", true)).as("maintenance").isTrue();
        assertThat(verdict.update(HealthState.DOWN, "connect: connection refused", true)).isFalse();
    }

    @Test
    void aRestartedCheckerDoesNotRetellTheCurrentVerdict() {
        RealServerStatus current = new RealServerStatus(config.real(80), HealthState.UP, "connect: connected",
                false, true);
        PublishedVerdict verdict = new PublishedVerdict(current);
        assertThat(verdict.update(HealthState.UP, "connect: connected", false)).isFalse();
        assertThat(verdict.update(HealthState.DOWN, "connect: timed out after 1 s", false)).isTrue();
    }
}
