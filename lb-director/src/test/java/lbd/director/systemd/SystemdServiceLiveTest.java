package lbd.director.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.director.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lbd run as systemd runs a {@code Type=notify} service: a separate process with {@code $NOTIFY_SOCKET} and
 * {@code $WATCHDOG_USEC}, this test in systemd's place on the socket.
 */
class SystemdServiceLiveTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void readyAfterTheFirstVerdictsThenWatchdogReloadAndStop(@TempDir Path dir) throws Exception {
        try (ServerSocket alive = new ServerSocket()) {
            alive.bind(new InetSocketAddress("127.0.0.1", 0), 50);
            int dead = TestHttp.freePort();
            int vip = TestHttp.freePort();
            Path config = dir.resolve("ldirectord.cf");
            // Checks every 30 s: the first check of each server decides READY=1; no later one can have.
            Files.writeString(config, """
                    virtual=127.0.0.1:%d
                    \treal=127.0.0.1:%d masq
                    \treal=127.0.0.1:%d masq
                    \tchecktype=connect
                    \tcheckinterval=30
                    \tchecktimeout=3
                    """.formatted(vip, alive.getLocalPort(), dead));
            String notifyPath = dir.resolve("notify").toString();
            try (NotifySocketListener systemd = new NotifySocketListener(notifyPath)) {
                // Started with SIGHUP ignored, as under nohup (a suite run under nohup did so unawares): lbd still
                // reloads on it. sh's trap "" sets SIG_IGN, which exec keeps.
                ProcessBuilder builder = new ProcessBuilder("sh", "-c", "trap '' HUP; exec \"$@\"", "lbd",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                        "lbd.director.cli.LbdMain", "--config", config.toString(),
                        "--socket", dir.resolve("lbd.sock").toString(), "--warmup=no")
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("lbd.log").toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                builder.environment().put("NOTIFY_SOCKET", notifyPath);
                builder.environment().put("WATCHDOG_USEC", "400000");
                Process lbd = builder.start();
                try {
                    Optional<String> ready = systemd.awaitContaining("READY=1", WAIT);
                    assertThat(ready).as("READY=1 (log: %s)", dir.resolve("lbd.log")).isPresent();
                    // Both verdicts are in: the live server counts as up, the dead one as down.
                    assertThat(ready.get()).contains("STATUS=1 virtual service, 1 of 2 real servers up");
                    try (Socket client = new Socket("127.0.0.1", vip)) {
                        assertThat(client.isConnected()).isTrue(); // the VIP listened before READY=1
                        // Closed with a reset, so its proxied connection ends at once: the real server never accepts
                        // it, and a connection left open would hold lbd's stop below for its whole 10 s drain.
                        client.setSoLinger(true, 0);
                    }

                    // WATCHDOG=1 twice per WATCHDOG_USEC, from the control plane.
                    assertThat(systemd.awaitContaining("WATCHDOG=1", WAIT)).isPresent();
                    assertThat(systemd.awaitContaining("WATCHDOG=1", WAIT)).isPresent();

                    new ProcessBuilder("kill", "-HUP", Long.toString(lbd.pid())).start().waitFor();
                    assertThat(systemd.awaitContaining("RELOADING=1", WAIT)).as(() -> "RELOADING=1; lbd's log:\n"
                            + logOf(dir)).isPresent();
                    assertThat(systemd.awaitContaining("READY=1", WAIT)).as(() -> "READY=1 after the reload; lbd's "
                            + "log:\n" + logOf(dir)).isPresent();

                    lbd.destroy(); // SIGTERM
                    assertThat(systemd.awaitContaining("STOPPING=1", WAIT)).isPresent();
                    assertThat(lbd.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                } finally {
                    lbd.destroyForcibly();
                }
            }
        }
    }

    private static String logOf(Path dir) {
        try {
            return Files.readString(dir.resolve("lbd.log"));
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
