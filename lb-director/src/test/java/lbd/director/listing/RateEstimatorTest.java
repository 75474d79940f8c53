package lbd.director.listing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import lbd.dataplane.counter.RealServerStats;
import org.junit.jupiter.api.Test;

class RateEstimatorTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void ratesAreDifferencesPerSecondBetweenSamples() {
        RateEstimator<String> e = new RateEstimator<>();
        e.sample(Map.of("a", new RealServerStats(0, 0, 10, 1000, 2000, 10, 20)), 0);
        assertThat(e.rates("a")).isEqualTo(Rates.ZERO);

        e.sample(Map.of("a", new RealServerStats(0, 0, 30, 5000, 2000, 50, 20)), 2 * SECOND);

        assertThat(e.rates("a")).isEqualTo(new Rates(10, 20, 0, 2000, 0));
    }

    @Test
    void aNewKeyCountsFromZeroAndACounterGoingBackwardsGivesZero() {
        RateEstimator<String> e = new RateEstimator<>();
        e.sample(Map.of("a", new RealServerStats(0, 0, 100, 0, 0, 0, 0)), 0);
        e.sample(Map.of("a", new RealServerStats(0, 0, 4, 0, 0, 0, 0),
                "b", new RealServerStats(0, 0, 8, 0, 0, 0, 0)), 2 * SECOND);

        assertThat(e.rates("a").cps()).isZero();
        assertThat(e.rates("b").cps()).isEqualTo(4);
    }
}
