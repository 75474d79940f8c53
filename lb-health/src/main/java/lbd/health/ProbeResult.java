package lbd.health;

import java.util.Objects;

/**
 * The outcome of one probe.
 *
 * @param up     whether the server passed
 * @param detail why, as the tail of an operator-facing line: {@code negotiate: HTTP 500 Internal Server Error}
 */
public record ProbeResult(boolean up, String detail) {

    public ProbeResult {
        Objects.requireNonNull(detail, "detail");
    }

    public static ProbeResult up(String detail) {
        return new ProbeResult(true, detail);
    }

    public static ProbeResult down(String detail) {
        return new ProbeResult(false, detail);
    }
}
