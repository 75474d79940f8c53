package lbd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lexer: splits an ldirectord.cf into {@link SourceLine}s. Blank lines and comments are dropped; a
 * {@code #} outside double quotes starts a comment. Accepts {@code key=value}, {@code key = value} and
 * {@code key= value}. Lines pasted from web pages often carry typographic quotes or no-break spaces; those
 * are reported here, by name, because they are invisible in most terminals.
 */
final class LineReader {

    private static final Pattern KEY_VALUE = Pattern.compile("([A-Za-z0-9_-]+)\\s*(=)?\\s*(.*)");

    private LineReader() {
    }

    static List<SourceLine> read(String text, Problems problems) {
        List<SourceLine> lines = new ArrayList<>();
        String[] physical = text.split("\r?\n|\r", -1);
        for (int i = 0; i < physical.length; i++) {
            int number = i + 1;
            String content = stripComment(physical[i]).stripTrailing();
            if (content.isBlank()) {
                continue;
            }
            String lookalike = lookalikeProblem(content);
            if (lookalike != null) {
                problems.add(number, keyOf(content) + lookalike);
                continue;
            }
            boolean indented = content.charAt(0) == ' ' || content.charAt(0) == '\t';
            String body = content.strip();
            Matcher m = KEY_VALUE.matcher(body);
            if (!m.matches()) {
                problems.add(number, Excerpt.quoted(body) + " is not a directive: expected key=value,"
                        + " e.g. checkinterval=5 (see man ldirectord)");
                continue;
            }
            boolean bare = m.group(2) == null;
            if (bare && !m.group(3).isEmpty()) {
                problems.add(number, Excerpt.quoted(body) + " is not a directive: expected "
                        + Excerpt.of(m.group(1)) + "=VALUE");
                continue;
            }
            lines.add(new SourceLine(number, indented, m.group(1), m.group(3), bare));
        }
        return lines;
    }

    /** Removes a {@code #} comment that is outside straight double quotes. */
    static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '#' && !quoted) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /**
     * The first character that looks like ASCII punctuation or a blank but is not: typographic quotes (a word
     * processor's "smart quotes") and no-break spaces. Null when there is none.
     */
    private static String lookalikeProblem(String content) {
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            switch (c) {
                case '\u201C', '\u201D', '\u201E', '\u201F', '\u2018', '\u2019', '\u201A', '\u201B', '\u2033',
                     '\u00AB', '\u00BB' -> {
                    return "typographic quote " + describe(c) + " at column " + (i + 1)
                            + "; use straight double quotes (\") instead";
                }
                case '\u00A0', '\u2007', '\u202F', '\u2002', '\u2003', '\u2009', '\u200B', '\uFEFF' -> {
                    return "invisible " + describe(c) + " at column " + (i + 1)
                            + "; use plain spaces or a tab instead";
                }
                default -> {
                }
            }
        }
        return null;
    }

    /** E.g. {@code RIGHT DOUBLE QUOTATION MARK (U+201D)}. */
    static String describe(char c) {
        String name = Character.getName(c);
        return (name == null ? "character" : name) + " (U+" + String.format(Locale.ROOT, "%04X", (int) c) + ")";
    }

    /** "logfile: " when the line starts with a name, so the message names the directive. */
    private static String keyOf(String content) {
        Matcher m = KEY_VALUE.matcher(content.strip());
        return m.lookingAt() && m.group(1) != null && !m.group(1).isEmpty() ? Excerpt.of(m.group(1)) + ": " : "";
    }
}
