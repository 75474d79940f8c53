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
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded {@code benchmarks.jar} as RESULTS.md's commands run it: {@code java -jar}, one forked JVM per benchmark.
 * The smoke tests run their benchmarks in the test's own JVM, on the module's classes, and never saw the jar's forks
 * fail (a versioned class of dnsjava's, unreadable without {@code Multi-Release: true} in the shaded manifest); this
 * runs one fork of one benchmark from the jar (surefire's {@code shaded-jar} execution, after {@code package}).
 */
class ShadedJarIT {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aForkedBenchmarkRunsFromTheJar(@TempDir Path dir) throws IOException, InterruptedException {
        Path jar = Path.of("target", "benchmarks.jar");
        assertThat(jar).as("run after package").exists();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path log = dir.resolve("jmh.log");
        // The output goes to a file, so that a JMH that hangs is bounded by waitFor (a read of its pipe would not be)
        // and is then killed with its fork, never left running.
        Process jmh = new ProcessBuilder(List.of(java, "-jar", jar.toAbsolutePath().toString(),
                "SchedulerPickBenchmark\\.pick$", "-p", "scheduler=rr", "-p", "servers=2", "-f", "1", "-wi", "0", "-i", "1",
                "-r", "200ms", "-foe", "true"))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            assertThat(jmh.waitFor(90, TimeUnit.SECONDS)).as("JMH ended within 90 s").isTrue();
        } finally {
            jmh.descendants().forEach(ProcessHandle::destroyForcibly);
            jmh.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(jmh.exitValue()).as(output).isZero();
        assertThat(output).as(output).containsPattern("SchedulerPickBenchmark\\.pick +rr +2 +avgt +[0-9.]+ +ns/op");
    }
}
