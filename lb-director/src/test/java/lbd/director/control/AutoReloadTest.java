package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** autoreload=yes: a change of the file's mtime is applied without a signal; a broken edit is not. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AutoReloadTest {

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
}
