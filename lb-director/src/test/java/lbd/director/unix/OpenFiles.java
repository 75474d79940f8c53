package lbd.director.unix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's open descriptors as /proc/self/fd shows them, for tests that pass descriptors around. */
public final class OpenFiles {

    private OpenFiles() {
    }

    /** A descriptor this process has open on {@code file}. */
    public static int descriptorOf(Path file) throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).equals(file)) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // the listing's own descriptor, closed by now
                }
            }
        }
        throw new AssertionError("no descriptor open on " + file);
    }

    /** The file a descriptor of this process is open on. */
    public static Path target(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
    }
}
