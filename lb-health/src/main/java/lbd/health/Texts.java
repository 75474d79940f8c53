package lbd.health;

import java.time.Duration;

/** Small formatting helpers for operator-facing reasons. */
final class Texts {

    private static final int MAX_SNIPPET = 160;

    private Texts() {
    }

    /** {@code 150 ms}, {@code 2 s}, {@code 1.5 s}. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format("%.1f s", ms / 1000.0);
    }

    /** {@code 512 bytes}, {@code 4 KB}, {@code 3 MB}. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        if (bytes < 1024 * 1024) {
            return Math.round(bytes / 1024.0) + " KB";
        }
        return Math.round(bytes / (1024.0 * 1024.0)) + " MB";
    }

    /** Output of a command or server squeezed onto one short line, for a log reason. */
    static String snippet(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= MAX_SNIPPET ? oneLine : oneLine.substring(0, MAX_SNIPPET) + "...";
    }
}
