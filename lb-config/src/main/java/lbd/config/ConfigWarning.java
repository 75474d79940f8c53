package lbd.config;

import java.util.Objects;

/**
 * A line lbd accepts but that does not do there what it does in ldirectord: the configuration loads, and the
 * operator is told, as {@code FILE:LINE: warning: message}, so that nothing accepted is silently ignored.
 *
 * @param source  the file name (or the name given to an embedded configuration)
 * @param line    1-based line number
 * @param message what has no effect and why, on one line
 */
public record ConfigWarning(String source, int line, String message) {

    public ConfigWarning {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(message, "message");
        if (line < 1) {
            throw new IllegalArgumentException("line must be >= 1: " + line);
        }
    }

    @Override
    public String toString() {
        return source + ":" + line + ": warning: " + message;
    }
}
