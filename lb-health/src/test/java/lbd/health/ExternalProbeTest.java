package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.CheckType;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ExternalProbeTest {

    @TempDir
    Path dir;

    static Path script(Path dir, String name, String body) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private TestConfig external(Path command) {
        TestConfig config = TestConfig.connect();
        config.type = CheckType.EXTERNAL;
        config.checkCommand = Optional.of(command.toString());
        config.checkTimeout = Duration.ofMillis(500);
        return config;
    }

    @Test
    void exitZeroIsUpAndGetsLdirectordsFourArguments() throws Exception {
        Path args = dir.resolve("args");
        Path command = script(dir, "ok.sh", "echo \"$@\" > " + args + "\nexit 0");
        ProbeResult result = new ExternalProbe(external(command).spec(8080)).check();
        assertThat(result.up()).isTrue();
        assertThat(Files.readString(args).strip()).isEqualTo("198.18.0.1 80 127.0.0.1 8080");
    }

    @Test
    void exitOneIsDownAndTheReasonCarriesTheOutput() throws Exception {
        Path command = script(dir, "fail.sh", "echo 'backend pool empty' >&2\nexit 1");
        ProbeResult result = new ExternalProbe(external(command).spec(8080)).check();
        assertThat(result).isEqualTo(ProbeResult.down("external: exit 1: backend pool empty"));
    }

    @Test
    void aHangingCommandIsKilledAtChecktimeout() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        // The script starts a child that would outlive it; both must go.
        Path command = script(dir, "hang.sh", "sleep 30 &\necho $! > " + pidFile + "\nwait");
        long start = System.nanoTime();
        ProbeResult result = new ExternalProbe(external(command).spec(8080)).check();
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(result).isEqualTo(ProbeResult.down("external: killed after 500 ms"));
        assertThat(tookMs).isLessThan(5_000);
        long childPid = Long.parseLong(Files.readString(pidFile).strip());
        // Killed: gone, or a zombie waiting for a reaper (state Z), but no longer running.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3))
                .until(() -> !running(childPid));
    }

    private static boolean running(long pid) throws java.io.IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        char state = text.charAt(text.lastIndexOf(')') + 2);
        return state != 'Z' && state != 'X';
    }

    @Test
    void aMissingCommandSaysSo() throws Exception {
        ProbeResult result = new ExternalProbe(external(dir.resolve("nope.sh")).spec(8080)).check();
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("external: cannot run " + dir.resolve("nope.sh"));
    }
}
