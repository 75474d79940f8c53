package lbd.director.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.director.TestHttp;
import lbd.director.cli.LbadmMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * lbd started as systemd starts it, with and without its self warm-up: READY=1 comes after the warm-up's one log
 * line, and the warm-up's connections are seen nowhere an operator looks (lbadm's statistics, the metrics).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmUpBeforeReadyLiveTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void readyComesAfterTheWarmUpWhichLeavesNoTrace() throws Exception {
        try (ServerSocket real = listening(); NotifySocketListener systemd = notifySocket()) {
            int vip = TestHttp.freePort();
            int metrics = TestHttp.freePort();
            Process lbd = start(config("metrics=127.0.0.1:" + metrics + "\n", vip, real), systemd);
            try {
                Optional<String> first = systemd.next(WAIT);
                assertThat(first).as("log: %s", log()).contains("STATUS=warming up the connection path");
                Optional<String> ready = systemd.awaitContaining("READY=1", WAIT);
                assertThat(ready).as("READY=1 (log: %s)", log()).isPresent();

                // The warm-up's line was logged before READY=1 was sent (by the same thread), and is its only one.
                List<String> warmUp = Files.readAllLines(log()).stream().filter(l -> l.contains("warm-up")).toList();
                assertThat(warmUp).hasSize(1);
                assertThat(warmUp.getFirst()).containsPattern(
                        "INFO +warm-up: \\d+ private loopback connections \\(\\d+ requests\\) through the NAT path");
                assertThat(Files.readString(log())).doesNotContain("lbd-warmup").doesNotContain("ERROR");

                String stats = lbadm("-Ln", "--stats");
                assertThat(stats.lines().filter(l -> l.startsWith("TCP"))).containsExactly(
                        stats.lines().filter(l -> l.startsWith("TCP  127.0.0.1:" + vip + " ")).findFirst().orElseThrow());
                assertThat(stats).containsPattern("TCP  127\\.0\\.0\\.1:" + vip + " +0 +0 +0 +0 +0");
                assertThat(stats).containsPattern("-> 127\\.0\\.0\\.1:" + real.getLocalPort() + " +0 +0 +0 +0 +0");

                String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metrics + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(scrape.lines().filter(l -> l.startsWith("lbd_loop_accepted_connections_total")))
                        .isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(" 0.0"));
                assertThat(scrape.lines().filter(l -> l.startsWith("lbd_service_") || l.startsWith("lbd_real_server_")))
                        .isNotEmpty().allSatisfy(l -> assertThat(l).contains("127.0.0.1:" + vip));
            } finally {
                stop(lbd);
            }
        }
    }

    @Test
    void withWarmupNoReadyComesWithoutIt() throws Exception {
        try (ServerSocket real = listening(); NotifySocketListener systemd = notifySocket()) {
            Process lbd = start(config("", TestHttp.freePort(), real), systemd, "--warmup=no");
            try {
                Optional<String> first = systemd.next(WAIT);
                assertThat(first).as("log: %s", log()).isPresent();
                assertThat(first.get()).startsWith("READY=1\n");
                assertThat(Files.readString(log())).doesNotContain("warm-up");
            } finally {
                stop(lbd);
            }
        }
    }

    private Path config(String globals, int vip, ServerSocket real) throws Exception {
        Path config = dir.resolve("ldirectord.cf");
        Files.writeString(config, globals + """
                virtual=127.0.0.1:%d
                \treal=127.0.0.1:%d masq
                \tchecktype=connect
                \tcheckinterval=30
                """.formatted(vip, real.getLocalPort()));
        return config;
    }

    private Process start(Path config, NotifySocketListener systemd, String... more) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "lbd.director.cli.LbdMain", "--config", config.toString(), "--event-loops", "1",
                "--socket", dir.resolve("lbd.sock").toString()));
        command.addAll(List.of(more));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("NOTIFY_SOCKET", systemd.address());
        return builder.start();
    }

    private static void stop(Process lbd) throws InterruptedException {
        lbd.destroy();
        if (!lbd.waitFor(30, TimeUnit.SECONDS)) {
            lbd.destroyForcibly();
        }
    }

    private String lbadm(String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> all = new java.util.ArrayList<>(List.of(arguments));
        all.addAll(List.of("--socket", dir.resolve("lbd.sock").toString()));
        assertThat(LbadmMain.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private Path log() {
        return dir.resolve("lbd.log");
    }

    private NotifySocketListener notifySocket() {
        return new NotifySocketListener(dir.resolve("notify").toString());
    }

    private static ServerSocket listening() throws Exception {
        ServerSocket real = new ServerSocket();
        real.bind(new InetSocketAddress("127.0.0.1", 0), 50);
        return real;
    }
}
