package lbd.director.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up's last collection gives the heap it grew back: in a JVM of its own with the launcher's G1 and 16 MiB
 * start, a heap grown to ~100 MiB with 8 MB still live (the director keeps about that) shrinks to the start size,
 * where a plain System.gc() keeps over 30 MiB (MaxHeapFreeRatio 70 %); the two flags are as before afterwards.
 */
@Timeout(60)
class HeapGiveBackTest {

    /** In the forked JVM: grows the heap, keeps 8 MB, collects one way or the other, prints what is committed. */
    public static void main(String[] args) {
        List<byte[]> live = new ArrayList<>();
        for (int i = 0; i < 8 * 8; i++) {
            live.add(new byte[1 << 17]); // 128 KiB: not humongous (G1's regions are 1 MiB here)
        }
        List<byte[]> garbage = new ArrayList<>();
        for (int i = 0; i < 80 * 8; i++) {
            garbage.add(new byte[1 << 17]);
        }
        garbage = null;
        if (args[0].equals("give-back")) {
            HeapGiveBack.collect();
        } else {
            System.gc();
        }
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        System.out.println(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() + " "
                + hotspot.getVMOption("MinHeapFreeRatio").getValue() + " "
                + hotspot.getVMOption("MaxHeapFreeRatio").getValue() + " " + live.size());
    }

    private static String[] run(String how) throws IOException, InterruptedException {
        String launcher = ProcessHandle.current().info().command().orElseThrow();
        String classPath = location(HeapGiveBack.class) + java.io.File.pathSeparator + location(HeapGiveBackTest.class);
        Process jvm = new ProcessBuilder(launcher, "-XX:+UseG1GC", "-Xms16m", "-Xmx256m", "-cp", classPath,
                HeapGiveBackTest.class.getName(), how).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(jvm.exitValue()).isZero();
        return out.split(" ");
    }

    private static String location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shrinksTheHeapToItsStartSizeWhereAPlainCollectionKeepsIt() throws Exception {
        String[] given = run("give-back");
        String[] plain = run("plain");

        long mib = 1 << 20;
        assertThat(Long.parseLong(given[0])).isLessThanOrEqualTo(16 * mib);
        assertThat(Long.parseLong(plain[0])).isGreaterThanOrEqualTo(30 * mib);
        assertThat(given[1]).isEqualTo(plain[1]).isEqualTo("40");
        assertThat(given[2]).isEqualTo(plain[2]).isEqualTo("70");
    }
}
