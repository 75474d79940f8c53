package lbd.director.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code autoreload=yes}: watches the configuration file's modification time (and size) as ldirectord did and
 * reloads when it changes. Polling rather than inotify: it also sees a file replaced by rename or on NFS, and one
 * stat per interval costs nothing. Runs on its own virtual thread.
 */
public final class AutoReload implements AutoCloseable {

    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    private final Thread watcher;

    private AutoReload(Thread watcher) {
        this.watcher = watcher;
    }

    public static AutoReload start(ConfigReloader reloader, Duration interval) {
        Path file = reloader.file();
        Thread t = Thread.ofVirtual().name("lbd-autoreload").start(() -> {
            Object last = stamp(file);
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                Object now = stamp(file);
                if (!Objects.equals(now, last)) {
                    last = now;
                    if (now != null) {
                        reloader.reloadLater("autoreload: the file changed");
                    }
                }
            }
        });
        return new AutoReload(t);
    }

    private record Stamp(long modifiedNanos, long size) {
    }

    private static Object stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size());
        } catch (IOException e) {
            return null; // gone for a moment (an editor replacing it): wait for it to come back
        }
    }

    @Override
    public void close() {
        watcher.interrupt();
    }
}
