package lbd.director.control;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import lbd.health.CommandRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * callback="CMD": after the configuration file changed on disk, runs {@code CMD FILE} — ldirectord's
 * {@code system("$CALLBACK $CONFIG")}, only when CMD is an executable file (ldirectord's {@code -x $CALLBACK}, so
 * CMD takes no arguments of its own). On its own thread, one at a time and in order, each bounded by
 * {@link #TIMEOUT} (then killed with everything it started): a stuck callback never holds up reloads or checks.
 */
final class ConfigCallback implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd");
    /** The man page sets no bound; a copy to the other director that takes longer than this is stuck. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lbd-callback");
        t.setDaemon(true);
        return t;
    });

    void run(String command, Path file) {
        Path executable = Path.of(command);
        if (!Files.isRegularFile(executable) || !Files.isExecutable(executable)) {
            log.warn("callback {} is not an executable file; not run (ldirectord runs it only when it is)", command);
            return;
        }
        List<String> argv = List.of(command, file.toString());
        try {
            thread.execute(() -> execute(argv));
        } catch (RejectedExecutionException e) {
            log.debug("callback {} not run: lbd is stopping", command);
        }
    }

    private static void execute(List<String> argv) {
        try {
            CommandRunner.Outcome outcome = CommandRunner.run(argv, TIMEOUT);
            if (outcome.succeeded()) {
                log.info("callback {}: ok", String.join(" ", argv));
            } else {
                log.warn("callback {} failed: {}", String.join(" ", argv), outcome.describe(TIMEOUT));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
