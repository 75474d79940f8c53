package lbd.director.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import lbd.config.model.GlobalSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ldirectord's {@code check_cfgfile}: watches the configuration file, and when its content changed on disk (a new
 * modification time or size, then a different digest: a {@code touch} alone is no change), logs it, reloads when
 * the running configuration says {@code autoreload=yes}, then runs its {@code callback} with the file's path
 * ({@link ConfigCallback}) — whether it reloaded or not, as ldirectord does: the callback is for copying the file
 * to the other director. Both settings are read from the running configuration at each change, so a reload that
 * sets or drops them takes effect. Polling rather than inotify: it also sees a file replaced by rename or on
 * NFS, and one stat per interval costs nothing. Runs on its own virtual thread.
 */
public final class ConfigFileWatch implements AutoCloseable {

    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final Thread watcher;
    private final ConfigCallback callback;

    private ConfigFileWatch(Thread watcher, ConfigCallback callback) {
        this.watcher = watcher;
        this.callback = callback;
    }

    /**
     * @param reloader re-reads and applies the file (synchronously, so the callback runs after the new
     *                 configuration is in force)
     * @param running  the running configuration's global settings (autoreload=, callback=)
     */
    public static ConfigFileWatch start(ConfigReloader reloader, Supplier<GlobalSettings> running, Duration interval) {
        Path file = reloader.file();
        ConfigCallback callback = new ConfigCallback();
        // The file as it is now, read before start returns: a change made right after is a change.
        Stamp initialStamp = stamp(file);
        byte[] initialDigest = digest(file);
        Thread t = Thread.ofVirtual().name("lbd-config-watch").start(() -> {
            Stamp last = initialStamp;
            byte[] digest = initialDigest;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                Stamp now = stamp(file);
                if (Objects.equals(now, last) || now == null) {
                    continue; // unchanged, or gone for a moment (an editor replacing it): wait for it to come back
                }
                last = now;
                byte[] content = digest(file);
                if (content == null || Arrays.equals(content, digest)) {
                    continue;
                }
                digest = content;
                GlobalSettings before = running.get();
                if (before.autoreload()) {
                    log.info("configuration file {} has changed on disk; reloading it (autoreload=yes)", file);
                    try {
                        reloader.reload("autoreload: the file changed");
                    } catch (ControlException e) {
                        // already logged by the reloader; the callback still runs, as in ldirectord
                    }
                } else {
                    log.info("configuration file {} has changed on disk; not reloading it (autoreload=no)", file);
                }
                running.get().callback().ifPresent(cmd -> callback.run(cmd, file.toAbsolutePath()));
            }
        });
        return new ConfigFileWatch(t, callback);
    }

    private record Stamp(long modifiedNanos, long size) {
    }

    private static Stamp stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public void close() {
        watcher.interrupt();
        callback.close();
    }
}
