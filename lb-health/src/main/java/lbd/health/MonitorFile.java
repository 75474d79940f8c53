package lbd.health;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * monitorfile: the lines of every virtual service's check log, appended by one thread in the order the checks
 * ended, so that no checker — neither a probe's virtual thread nor the connect loop — waits on a disk. The file is
 * opened for each line and closed again, as ldirectord does, so that logrotate may move it at any time.
 */
final class MonitorFile implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("lbd.health");

    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lbd-monitorfile");
        t.setDaemon(true);
        return t;
    });

    /** Any thread: queues {@code line} (with its newline) for {@code file}. */
    void append(Path file, String line) {
        try {
            writer.execute(() -> write(file, line));
        } catch (RejectedExecutionException e) {
            // stopping: the checks are being stopped too
        }
    }

    private static void write(Path file, String line) {
        try {
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            // ldirectord dies here; lbd keeps checking and says why, once per failed line.
            LOG.warn("monitorfile {}: cannot append the check result: {}", file, e.toString());
        }
    }

    /** Writes what is queued (bounded), then stops. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
