package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ldirectord's check of the file on disk: autoreload=yes applies a changed file without a signal (a broken edit is
 * not applied), and callback= runs with the file's path after every change, with or without autoreload.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigFileWatchTest {

    @TempDir
    Path dir;

    private static String scheduler(LiveDirector lbd) {
        return new DirectorControl(lbd.director, null).view().services().getFirst().scheduler();
    }

    @Test
    void anEditedFileIsReloadedAndABrokenOneIsNot() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, true)) {
            lbd.awaitBothServing();
            assertThat(scheduler(lbd)).isEqualTo("rr");

            Files.writeString(lbd.file, LiveDirector.config(lbd.backends, lbd.vipPort, "wlc", 1, true, true));
            await().atMost(Duration.ofSeconds(10)).until(() -> scheduler(lbd).equals("wlc"));

            Files.writeString(lbd.file, "virtual=127.0.0.1:" + lbd.vipPort + "\n\tscheduler=nonsense\n");
            Thread.sleep(2500); // more than one watch interval
            assertThat(scheduler(lbd)).isEqualTo("wlc");
            assertThat(lbd.get()).startsWith("This is VM");
        }
    }

    /** A callback that appends its arguments and the time it saw the file's scheduler line to {@code log}. */
    private Path callbackScript(Path log) throws Exception {
        Path script = dir.resolve("sync-config");
        Files.writeString(script, "#!/bin/sh\necho \"$# $1 $(grep -c scheduler=wlc \"$1\")\" >> " + log + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Test
    void withoutAutoreloadTheCallbackRunsWithTheFileButNothingIsReloaded() throws Exception {
        Path log = dir.resolve("callback.log");
        String callback = "callback=\"" + callbackScript(log) + "\"\n";
        try (LiveDirector lbd = LiveDirector.start(dir, false, "") ) {
            Files.writeString(lbd.file, Files.readString(lbd.file) + callback);
            lbd.ops.reloadLater("test: take callback= in");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log));
            // Adding the line was itself a change on disk: the callback ran once for it, with the file's path.
            assertThat(Files.readAllLines(log)).containsExactly("1 " + lbd.file.toAbsolutePath() + " 0");

            Files.writeString(lbd.file, LiveDirector.config(lbd.backends, lbd.vipPort, "wlc", 1, true, false)
                    + callback);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(log).size() == 2);
            assertThat(Files.readAllLines(log).get(1)).isEqualTo("1 " + lbd.file.toAbsolutePath() + " 1");
            assertThat(scheduler(lbd)).as("autoreload=no: the change is not applied").isEqualTo("rr");
        }
    }

    @Test
    void withAutoreloadTheChangeIsAppliedAndThenTheCallbackRuns() throws Exception {
        Path log = dir.resolve("callback.log");
        String callback = "callback=\"" + callbackScript(log) + "\"\n";
        try (LiveDirector lbd = LiveDirector.start(dir, true, "")) {
            Files.writeString(lbd.file, LiveDirector.config(lbd.backends, lbd.vipPort, "wlc", 1, true, true)
                    + callback);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log));
            // The reload came first: when the callback ran, the new scheduler was already in force.
            assertThat(scheduler(lbd)).isEqualTo("wlc");
            assertThat(Files.readAllLines(log)).isEqualTo(List.of("1 " + lbd.file.toAbsolutePath() + " 1"));
        }
    }
}
