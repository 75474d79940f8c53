package lbd.director.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One value of a kernel file under /proc/sys (a sysctl, the host name): its first line, stripped. Read line by
 * line because {@code Files.readString} is wrong there: for some sysctls it returns the first byte only
 * ({@code ip_unprivileged_port_start}'s "1024" read as "1"; {@code ip_local_port_range} as "3"), which a
 * one-digit value such as {@code ip_forward} would hide.
 */
public final class ProcValue {

    private ProcValue() {
    }

    /** @throws IOException the file cannot be read, or is empty */
    public static String read(Path file) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException(file + " is empty");
            }
            return line.strip();
        }
    }
}
