package lbd.dataplane.counter;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The OVERLOAD flag follows the kernel's rule (ip_vs_conn.c ip_vs_bind_dest and ip_vs_unbind_dest,
 * ip_vs_ctl.c __ip_vs_update_dest), on one worker's share of the thresholds.
 */
class ConnectionThresholdsTest {

    private final DestinationCounters c = new DestinationCounters();

    @Test
    void theUpperThThConnectionIsTakenThenTheServerIsOverloaded() {
        c.limit(3, 0);
        c.connectionScheduled();
        c.connectionScheduled();
        assertThat(c.overloaded()).as("2 of 3").isFalse();
        c.connectionScheduled();
        assertThat(c.overloaded()).as("3 of 3: counted, then flagged").isTrue();
    }

    @Test
    void withoutALowerThresholdItReturnsBelowThreeQuartersOfTheUpper() {
        c.limit(10, 0);
        open(10);
        assertThat(c.overloaded()).isTrue();
        c.inactiveConnectionGone(); // 9: 4 * 9 >= 3 * 10
        c.inactiveConnectionGone(); // 8: 32 >= 30
        assertThat(c.overloaded()).as("8 of 10 is not below three quarters").isTrue();
        c.inactiveConnectionGone(); // 7: 28 < 30
        assertThat(c.overloaded()).as("7 of 10").isFalse();
        c.connectionScheduled(); // 8: below the upper, binding sets nothing
        c.connectionScheduled(); // 9
        assertThat(c.overloaded()).isFalse();
        c.connectionScheduled(); // 10
        assertThat(c.overloaded()).isTrue();
    }

    @Test
    void withALowerThresholdItReturnsBelowIt() {
        c.limit(10, 5);
        open(10);
        for (int total = 9; total >= 5; total--) {
            c.inactiveConnectionGone();
            assertThat(c.overloaded()).as("%d connections, lower 5", total).isTrue();
        }
        c.inactiveConnectionGone();
        assertThat(c.overloaded()).as("4 connections, lower 5").isFalse();
    }

    @Test
    void aConnectionChangingStateIsNeitherBoundNorUnbound() {
        c.limit(4, 1);
        open(4);
        c.connectionEstablished();
        c.connectionClosing();
        assertThat(c.overloaded()).isTrue();
        c.connectionEstablished();
        c.activeConnectionGone(); // an established connection reset: unbound, 3 left, lower 1
        assertThat(c.overloaded()).isTrue();
        c.inactiveConnectionGone();
        c.inactiveConnectionGone();
        c.inactiveConnectionGone();
        assertThat(c.overloaded()).isFalse();
    }

    @Test
    void raisingOrRemovingTheUpperThresholdClearsTheFlagAndLoweringItSetsNothingUntilTheNextConnection() {
        c.limit(4, 0);
        open(4);
        assertThat(c.overloaded()).isTrue();
        c.limit(6, 0);
        assertThat(c.overloaded()).as("raised").isFalse();
        open(2);
        assertThat(c.overloaded()).isTrue();
        c.limit(DestinationCounters.UNLIMITED, 0);
        assertThat(c.overloaded()).as("removed").isFalse();
        c.limit(2, 0);
        assertThat(c.overloaded()).as("lowered under the 6 open: not by the edit").isFalse();
        c.connectionScheduled();
        assertThat(c.overloaded()).as("the next connection bound").isTrue();
        c.limit(2, 0);
        assertThat(c.overloaded()).as("the same threshold again").isTrue();
    }

    @Test
    void anEmptyShareNeverTakesAConnection() {
        c.limit(0, 0);
        assertThat(c.overloaded()).isTrue();
        c.connectionScheduled(); // a persistent client's template may still send one
        c.inactiveConnectionGone();
        assertThat(c.overloaded()).as("0 connections are not below three quarters of 0").isTrue();
        c.limit(1, 0);
        assertThat(c.overloaded()).as("a share again").isFalse();
    }

    @Test
    void withoutThresholdsItIsNeverOverloaded() {
        open(100_000);
        assertThat(c.overloaded()).isFalse();
    }

    private void open(int n) {
        for (int i = 0; i < n; i++) {
            c.connectionScheduled();
        }
    }
}
