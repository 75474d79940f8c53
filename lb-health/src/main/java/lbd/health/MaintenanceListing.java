package lbd.health;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * One maintenancedir as the {@link SocketCheckLoop} sees it: listed at most once per checkinterval and shared by
 * every server the loop checks, instead of two stat() calls per server per check (measured: about 5 µs of
 * kernel time per check). A file is therefore noticed within two intervals rather than one. Owned by the
 * loop's thread.
 */
final class MaintenanceListing {

    private final Path dir;
    private Set<String> names = Set.of();
    private long listedAt;
    private boolean listed;

    MaintenanceListing(Path dir) {
        this.dir = dir;
    }

    /** Whether either file exists, per a listing no older than {@code maxAgeNanos}. */
    boolean contains(String serverFile, String ipFile, long maxAgeNanos, long now) {
        if (!listed || now - listedAt >= maxAgeNanos) {
            names = list();
            listedAt = now;
            listed = true;
        }
        return names.contains(serverFile) || names.contains(ipFile);
    }

    private Set<String> list() {
        Set<String> found = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                found.add(entry.getFileName().toString());
            }
        } catch (IOException e) {
            // A missing or unreadable directory puts nobody in maintenance, as a missing file does.
        }
        return found;
    }
}
