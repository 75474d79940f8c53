package lbd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shaded {@code benchmarks.jar} as RESULTS.md's commands run it: {@code java -jar}, one forked JVM per benchmark.
 * The smoke tests run their benchmarks in the test's own JVM, on the module's classes, and never saw the jar's forks
 * fail (a versioned class of dnsjava's, unreadable without {@code Multi-Release: true} in the shaded manifest); this
 * runs one fork of one benchmark from the jar (surefire's {@code shaded-jar} execution, after {@code package}).
 */
class ShadedJarIT {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aForkedBenchmarkRunsFromTheJar() throws IOException, InterruptedException {
        Path jar = Path.of("target", "benchmarks.jar");
        assertThat(jar).as("run after package").exists();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process jmh = new ProcessBuilder(List.of(java, "-jar", jar.toString(), "SchedulerPickBenchmark\\.pick$",
                "-p", "scheduler=rr", "-p", "servers=2", "-f", "1", "-wi", "0", "-i", "1", "-r", "200ms", "-foe", "true"))
                .redirectErrorStream(true)
                .start();
        String output = new String(jmh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jmh.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jmh.exitValue()).as(output).isZero();
        assertThat(output).as(output).containsPattern("SchedulerPickBenchmark\\.pick +rr +2 +avgt +[0-9.]+ +ns/op");
        Files.deleteIfExists(Path.of("jmh-result.json")); // none is written without -rf; nothing left either way
    }
}
