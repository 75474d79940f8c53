package lbd.director.ha;

import java.util.ArrayList;
import java.util.List;

/**
 * The lines of heartbeat's line-oriented files (ha.cf, authkeys) that say something: {@code #} starts a comment
 * anywhere on a line, surrounding whitespace does not count, blank lines are skipped. Each line keeps its 1-based
 * number, so that messages point at it as {@code file:N: ...}.
 */
final class HeartbeatLines {

    /**
     * @param number  1-based line number in the file
     * @param content the line without its comment and surrounding whitespace; never empty
     * @param where   {@code file:N: }, the prefix of a message about this line
     */
    record Line(int number, String content, String where) {
    }

    private HeartbeatLines() {
    }

    /** The non-blank lines of {@code text}, read from {@code file} (used in {@link Line#where()}). */
    static List<Line> of(String file, String text) {
        String[] lines = text.split("\r?\n", -1);
        List<Line> meaningful = new ArrayList<>(lines.length);
        for (int i = 0; i < lines.length; i++) {
            String content = withoutComment(lines[i]).strip();
            if (!content.isEmpty()) {
                meaningful.add(new Line(i + 1, content, file + ":" + (i + 1) + ": "));
            }
        }
        return meaningful;
    }

    /**
     * {@code line} up to its first {@code #}, whitespace kept: also for haresources (backslash continuations) and
     * lbd-ha.cf (blank lines count there), which walk their lines themselves.
     */
    static String withoutComment(String line) {
        int hash = line.indexOf('#');
        return hash >= 0 ? line.substring(0, hash) : line;
    }
}
