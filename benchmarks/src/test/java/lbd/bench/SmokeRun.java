package lbd.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * How the CI smoke tests run a benchmark: in the test's JVM (no fork), no warm-up, one 100 ms iteration, failing
 * on any error — enough to prove it builds, runs and passes its own checks, not to measure it.
 */
public final class SmokeRun {

    private SmokeRun() {
    }

    /**
     * @param include regular expression of the benchmark methods, as JMH's {@code -include}
     * @param params  JMH parameters as name, value, name, value...
     */
    public static Collection<RunResult> run(String include, String... params) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(include)
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true);
        for (int i = 0; i + 1 < params.length; i += 2) {
            options.param(params[i], params[i + 1]);
        }
        return new Runner(options.build()).run();
    }
}
