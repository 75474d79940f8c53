package lbd.config;

import java.util.Objects;

/**
 * One problem in a configuration, at a line of its source. Printed as {@code FILE:LINE: message}, the shape
 * compilers use, so that editors and operators can jump straight to it.
 *
 * @param source the file name (or the name given to an embedded configuration)
 * @param line   1-based line number; 0 when the problem is the file as a whole (e.g. it cannot be read)
 * @param message what is wrong and what to do, on one line
 */
public record ConfigError(String source, int line, String message) {

    public ConfigError {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(message, "message");
        if (line < 0) {
            throw new IllegalArgumentException("line must be >= 0: " + line);
        }
    }

    @Override
    public String toString() {
        return line > 0 ? source + ":" + line + ": " + message : source + ": " + message;
    }
}
