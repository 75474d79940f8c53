package lbd.bench.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.NameResolver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Loading an ldirectord.cf of 1, 100 and 1,000 virtual services (see {@link GeneratedLdirectordCf}) into the
 * immutable model: {@link #loadFile} as lbd does at start-up and on reload (read the file, lex, assemble,
 * validate, build), {@link #parseText} the same without the file read. Not a hot path: this shows that a reload
 * of a large farm takes milliseconds and how it scales with the number of services (it should be linear).
 *
 * <p>Names are never resolved: the file holds only literals, and the resolver fails the run if asked.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class ConfigParseBenchmark {

    private static final NameResolver NO_DNS = (name, ipv6) -> {
        throw new IllegalStateException("the benchmark configuration must not need name resolution: " + name);
    };

    @Param({"1", "100", "1000"})
    public int services;

    private String text;
    private Path file;

    @Setup(Level.Trial)
    public void writeFile() throws IOException {
        text = GeneratedLdirectordCf.text(services);
        file = Files.createTempFile("lbd-bench-" + services + "-", ".cf");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        // Measure the successful path only: a generator mistake must fail the run, not time error reporting.
        ConfigResult result = ConfigLoader.load(file, NO_DNS);
        if (!(result instanceof ConfigResult.Loaded loaded)) {
            throw new IllegalStateException("generated configuration rejected: " + result);
        }
        if (loaded.config().virtualServices().size() != services) {
            throw new IllegalStateException("expected " + services + " services, loaded "
                    + loaded.config().virtualServices().size());
        }
    }

    @TearDown(Level.Trial)
    public void deleteFile() throws IOException {
        Files.deleteIfExists(file);
    }

    @Benchmark
    public ConfigResult loadFile() {
        return ConfigLoader.load(file, NO_DNS);
    }

    @Benchmark
    public ConfigResult parseText() {
        return ConfigLoader.parse("bench.cf", text, NO_DNS);
    }
}
