package lbd.dataplane.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What lets several directors share a VIP with mh: two directors that never talk, given the same configuration,
 * send each client to the same real server. Shown with two real JVMs (not two tables in this one), each parsing
 * the file and building its table on its own: a process has its own hash seeds, identity hash codes and map
 * orders, so anything in the table that depended on them — rather than on the configuration alone — would show
 * here and not within one JVM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MaglevAcrossProcessesTest {

    @TempDir
    Path dir;

    @Test
    void twoProcessesWithTheSameConfigurationSendEveryClientToTheSameServer() throws Exception {
        StringBuilder cf = new StringBuilder("virtual=198.18.0.1:80\n\tscheduler=mh\n\tmhtablesize=65521\n"
                + "\tchecktype=on\n");
        for (int i = 0; i < 1_000; i++) {
            cf.append("\treal=198.19.").append(i / 250).append('.').append(i % 250 + 1).append(":8080 masq ")
                    .append(1 + i % 3).append('\n');
        }
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, cf);

        CompletableFuture<List<String>> first = CompletableFuture.supplyAsync(() -> run(file));
        CompletableFuture<List<String>> second = CompletableFuture.supplyAsync(() -> run(file));
        List<String> a = first.get(100, TimeUnit.SECONDS);
        List<String> b = second.get(100, TimeUnit.SECONDS);

        assertThat(a).hasSize(MaglevChoices.CLIENTS);
        assertThat(a.stream().map(l -> l.substring(l.indexOf(' ') + 1)).distinct().count())
                .as("servers chosen for 20,000 clients").isGreaterThan(990);
        assertThat(b).as("the second process").isEqualTo(a);
        assertThat(MaglevChoices.choices(file)).as("this process").isEqualTo(a);
    }

    private static List<String> run(Path file) {
        try {
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                    "-cp", System.getProperty("java.class.path"), MaglevChoices.class.getName(), file.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!child.waitFor(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("the child JVM did not finish within 60 s");
                }
                if (child.exitValue() != 0) {
                    throw new AssertionError("the child JVM failed: exit " + child.exitValue() + "\n" + out);
                }
                return out.lines().toList();
            } finally {
                child.destroyForcibly();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
