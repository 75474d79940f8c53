package lbd.director.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/lbd} bounds the JVM it starts (README "Memory"): the heap from LBD_HEAP (default 1g), direct memory
 * from LBD_DIRECT_MEMORY (default 512m), exit on running out of heap; a bad size is refused in one line before
 * any JVM starts. The collector is G1 from a 16 MiB heap, with the native heap trimmed, unless LBD_JAVA_OPTS
 * names another collector; malloc has 2 arenas unless MALLOC_ARENA_MAX says otherwise. C2 compiles untaken branches
 * instead of trapping on them (README "Warm start"). The script runs from a copy of bin/ next to a stand-in jar, with
 * {@code -XX:+PrintFlagsFinal -version} as LBD_JAVA_OPTS, so the JVM prints the limits it got and exits before lbd's main class.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LauncherMemoryLimitsTest {

    private static final Path REPOSITORY = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path home;

    @BeforeEach
    void copyLauncher() throws IOException {
        Files.createDirectories(home.resolve("bin"));
        for (String script : new String[] {"lbd", "find-jdk"}) {
            Path copy = home.resolve("bin").resolve(script);
            Files.copy(REPOSITORY.resolve("bin").resolve(script), copy);
            copy.toFile().setExecutable(true);
        }
        // Present, so the launcher does not build; never opened, since -version exits first.
        Files.createDirectories(home.resolve("lb-director/target"));
        Files.writeString(home.resolve("lb-director/target/lbd.jar"), "");
    }

    @Test
    void byDefaultTheHeapIs1GiBAndDirectMemory512MiB() throws Exception {
        Result r = launch(Map.of());
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "MaxHeapSize")).isEqualTo(1L << 30);
        assertThat(flag(r, "MaxDirectMemorySize")).isEqualTo(512L << 20);
        assertThat(flag(r, "ExitOnOutOfMemoryError")).isEqualTo(1);
    }

    @Test
    void theEnvironmentSetsBothLimits() throws Exception {
        Result r = launch(Map.of("LBD_HEAP", "256m", "LBD_DIRECT_MEMORY", "2g"));
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "MaxHeapSize")).isEqualTo(256L << 20);
        assertThat(flag(r, "MaxDirectMemorySize")).isEqualTo(2L << 30);
    }

    @Test
    void byDefaultTheCollectorIsG1WithCompressedReferencesFromA16MiBHeap() throws Exception {
        Result r = launch(Map.of());
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "UseG1GC")).isEqualTo(1);
        assertThat(flag(r, "UseCompressedOops")).isEqualTo(1);
        assertThat(flag(r, "UseCompactObjectHeaders")).isEqualTo(1);
        assertThat(flag(r, "InitialHeapSize")).isEqualTo(16L << 20);
        assertThat(flag(r, "TrimNativeHeapInterval")).isEqualTo(5000);
    }

    @Test
    void theJitCompilesBranchesItSawNeverTakenInsteadOfTrappingThere() throws Exception {
        Result r = launch(Map.of());
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "PerMethodTrapLimit")).isZero();
    }

    @Test
    void theOptionsOverrideTheTrapLimit() throws Exception {
        Result r = launch(Map.of("LBD_JAVA_OPTS", "-XX:PerMethodTrapLimit=100 -XX:+PrintFlagsFinal -version"));
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "PerMethodTrapLimit")).isEqualTo(100);
    }

    @Test
    void aHeapBelow16MiBIsAlsoWhereItStarts() throws Exception {
        Result r = launch(Map.of("LBD_HEAP", "8m"));
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "InitialHeapSize")).isEqualTo(8L << 20);
        assertThat(flag(r, "MaxHeapSize")).isEqualTo(8L << 20);
    }

    @Test
    void aCollectorNamedInTheOptionsReplacesG1() throws Exception {
        Result r = launch(Map.of("LBD_JAVA_OPTS", "-XX:+UseZGC -XX:+PrintFlagsFinal -version"));
        assertThat(r.exit).as(r.output).isZero();
        assertThat(flag(r, "UseZGC")).isEqualTo(1);
        assertThat(flag(r, "UseG1GC")).isZero();
        assertThat(flag(r, "MaxHeapSize")).isEqualTo(1L << 30);
    }

    @Test
    void mallocGetsTwoArenasUnlessTheEnvironmentSaysOtherwise() throws Exception {
        // The JVM runs a source file instead of lbd (what follows it, the launcher's -cp and main class, are its
        // arguments): it prints the environment variable it got.
        Path printer = home.resolve("PrintArenas.java");
        Files.writeString(printer, "class PrintArenas { public static void main(String[] a) {"
                + " System.out.println(\"arenas=\" + System.getenv(\"MALLOC_ARENA_MAX\")); } }");
        Result byDefault = launch(Map.of("LBD_JAVA_OPTS", printer.toString()));
        assertThat(byDefault.exit).as(byDefault.output).isZero();
        assertThat(byDefault.output).contains("arenas=2\n");
        Result given = launch(Map.of("LBD_JAVA_OPTS", printer.toString(), "MALLOC_ARENA_MAX", "8"));
        assertThat(given.output).as(given.output).contains("arenas=8\n");
    }

    @Test
    void aBadSizeIsRefusedInOneLineBeforeAnyJvmStarts() throws Exception {
        for (String[] bad : new String[][] {
            {"LBD_HEAP", "lots"}, {"LBD_HEAP", "512mb"}, {"LBD_DIRECT_MEMORY", "0m"}}) {
            Result r = launch(Map.of(bad[0], bad[1]));
            assertThat(r.exit).as("%s=%s: %s", bad[0], bad[1], r.output).isEqualTo(1);
            assertThat(r.output).as("%s=%s", bad[0], bad[1])
                    .isEqualTo("lbd: " + bad[0] + "=" + bad[1] + " is not a size; write a number with k, m or g, e.g. "
                            + bad[0] + "=512m\n");
        }
    }

    private record Result(int exit, String output) {
    }

    private Result launch(Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/lbd").toString()).redirectErrorStream(true);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("LBD_") || k.equals("MALLOC_ARENA_MAX"));
        e.put("LBD_JAVA_HOME", System.getProperty("java.home"));
        e.put("LBD_JAVA_OPTS", "-XX:+PrintFlagsFinal -version");
        e.putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(50, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), output);
    }

    /** A flag's final value, as -XX:+PrintFlagsFinal prints it ("size_t MaxHeapSize = 1073741824 {...}"). */
    private static long flag(Result r, String name) {
        Matcher m = Pattern.compile("\\s" + name + "\\s+:?=\\s+(\\S+)").matcher(r.output);
        assertThat(m.find()).as("%s in the JVM's flags:%n%s", name, r.output).isTrue();
        String value = m.group(1);
        return switch (value) {
            case "true" -> 1;
            case "false" -> 0;
            default -> Long.parseLong(value);
        };
    }
}
