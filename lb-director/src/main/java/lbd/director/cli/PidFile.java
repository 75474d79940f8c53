package lbd.director.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalLong;

/**
 * One running lbd per configuration, as ldirectord's {@code /var/run/ldirectord.NAME.pid}: the file holds the pid
 * of the lbd serving that configuration. It is written once lbd serves (so its appearance tells {@code start}
 * that the start succeeded) and removed when lbd stops. A file whose process is gone, or is not an lbd, is stale.
 */
record PidFile(Path path) {

    /** The main class every lbd JVM runs, as its /proc/PID/cmdline shows it (bin/lbd and start both run it). */
    static final String MAIN_CLASS = LbdMain.class.getName();

    /** Writes {@code pid} atomically (a reader never sees a half-written file). */
    void write(long pid) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes it if it still names this process (a newer lbd may have taken it over). */
    void remove() throws IOException {
        if (read().orElse(-1) == ProcessHandle.current().pid()) {
            Files.deleteIfExists(path);
        }
    }

    /** The pid written in the file; empty when there is no file or it holds no number. */
    OptionalLong read() {
        try {
            String text = Files.readString(path, StandardCharsets.US_ASCII).strip();
            return text.matches("[0-9]{1,10}") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    boolean exists() {
        return Files.exists(path);
    }

    /** The pid of the lbd that the file names, if that process is alive and is an lbd (ldirectord's stale check). */
    OptionalLong running() {
        OptionalLong pid = read();
        if (pid.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid.getAsLong()), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains(MAIN_CLASS) ? pid : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty(); // no such process
        }
    }
}
