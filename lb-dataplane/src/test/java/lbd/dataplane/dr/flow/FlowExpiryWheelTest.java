package lbd.dataplane.dr.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowExpiryWheelTest {

    private static final long TICK = 256;

    /**
     * A flood's entries fill one tick's spoke; the worker asks for expiries after every batch of packets, many
     * times within that tick. Each entry is looked at once, when the tick is over, not at every call: walking
     * the running tick again and again cost the worker a square of the flood's rate.
     */
    @Test
    void theRunningTickIsWalkedOnceWhenItEnds() {
        int entries = 10_000;
        FlowExpiryWheel wheel = new FlowExpiryWheel(entries, TICK, 1024, 0);
        for (int e = 0; e < entries; e++) {
            wheel.schedule(e, 3 * TICK + 10 + e % 200); // all in tick 3
        }
        List<Integer> expired = new ArrayList<>();
        for (long now = 0; now < 4 * TICK; now++) {
            wheel.expire(now, (e, at) -> expired.add(e));
        }
        assertThat(expired).as("tick 3 is not over").isEmpty();
        assertThat(wheel.walked()).as("entries looked at while their tick ran").isZero();

        wheel.expire(4 * TICK, (e, at) -> expired.add(e));
        assertThat(expired).hasSize(entries);
        assertThat(wheel.walked()).isEqualTo(entries);
    }

    /** An entry expires after its deadline, and at most one tick after it, however the calls fall. */
    @Test
    void anEntryExpiresWithinOneTickAfterItsDeadline() {
        for (long deadline = 1000; deadline < 1000 + 2 * TICK; deadline += 7) {
            for (long step = 1; step < 600; step += 97) {
                FlowExpiryWheel wheel = new FlowExpiryWheel(1, TICK, 1024, 0);
                wheel.schedule(0, deadline);
                long[] at = {-1};
                for (long now = 0; at[0] < 0; now += step) {
                    wheel.expire(now, (e, t) -> at[0] = t);
                    assertThat(now).as("deadline %d, calls every %d ms", deadline, step)
                            .isLessThanOrEqualTo(deadline + TICK + step);
                }
                assertThat(at[0]).as("deadline %d, calls every %d ms", deadline, step)
                        .isGreaterThanOrEqualTo(deadline).isLessThan(deadline + TICK + step);
            }
        }
    }

    /** A pause longer than a turn of the wheel: every entry due is handed over, once; later turns' are kept. */
    @Test
    void aLongPauseExpiresWhatIsDueAndKeepsTheRest() {
        FlowExpiryWheel wheel = new FlowExpiryWheel(3, TICK, 16, 0);
        wheel.schedule(0, 100);
        wheel.schedule(1, 15 * TICK + 5);
        wheel.schedule(2, 40 * TICK); // two turns and more later, on a spoke walked on the way
        List<Integer> expired = new ArrayList<>();
        wheel.expire(20 * TICK, (e, at) -> expired.add(e));
        assertThat(expired).containsExactlyInAnyOrder(0, 1);
        assertThat(wheel.deadline(2)).isEqualTo(40 * TICK);
        wheel.expire(41 * TICK, (e, at) -> expired.add(e));
        assertThat(expired).containsExactlyInAnyOrder(0, 1, 2);
    }
}
