package lbd.config;

import java.util.Locale;

/**
 * How lbd shows text it was given — a configuration value, a control-socket request — inside a message or a log
 * line: at most {@value #SHOWN} characters, then "… (N more characters)"; newlines, other control characters and
 * everything outside printable ASCII escaped ({@code \n}, {@code \t}, {@code \u00e9}), so that what an operator
 * reads is one line and the text cannot forge further log lines or drive the terminal. A backslash is shown as it
 * is: values such as {@code receive="\d+"} read as the operator wrote them.
 */
public final class Excerpt {

    /** Characters of the text shown; the rest is counted. */
    static final int SHOWN = 60;

    private Excerpt() {
    }

    /** The text, escaped and cut, e.g. {@code aaaa… (999940 more characters)}. */
    public static String of(String text) {
        int end = end(text);
        return escape(text, end) + rest(text, end);
    }

    /** The same in straight double quotes, the count after them: {@code "aaaa…" (999940 more characters)}. */
    public static String quoted(String text) {
        int end = end(text);
        String rest = rest(text, end);
        return rest.isEmpty() ? "\"" + escape(text, end) + "\"" : "\"" + escape(text, end) + "…\"" + rest.substring(1);
    }

    /** Where the shown part ends; never between the two halves of a surrogate pair. */
    private static int end(String text) {
        if (text.length() <= SHOWN) {
            return text.length();
        }
        return Character.isHighSurrogate(text.charAt(SHOWN - 1)) ? SHOWN + 1 : SHOWN;
    }

    private static String rest(String text, int end) {
        int more = text.length() - end;
        return more == 0 ? "" : "… (" + more + " more character" + (more == 1 ? "" : "s") + ")";
    }

    private static String escape(String text, int end) {
        StringBuilder out = new StringBuilder(end + 8);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        out.append(c);
                    } else {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    }
                }
            }
        }
        return out.toString();
    }
}
