package lbd.director.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * logformat=text: {@code 2026-01-05T09:03:04.123+01:00 WARN  MESSAGE key=value key="a value"} on one line. The
 * event's key-value pairs follow the message in logfmt (a value with a blank, '=' or '"' is quoted, '"' and '\'
 * escaped), the same pairs the JSON format writes as fields; a line break anywhere becomes a blank; a stack trace
 * is never written (operator-facing lines say what happened and what to do).
 */
final class TextLayout extends LayoutBase<ILoggingEvent> {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160);
        stampAndLevel(event, line);
        line.append(' ').append(body(event)).append('\n');
        return line.toString();
    }

    /** What every lbd text line starts with: the time, ISO 8601 in the local zone, and the level padded to 5. */
    static void stampAndLevel(ILoggingEvent event, StringBuilder line) {
        STAMP.formatTo(event.getInstant(), line);
        String level = event.getLevel().toString();
        line.append(' ').append(level).append(" ".repeat(Math.max(0, 5 - level.length())));
    }

    /** The message and the key-value pairs, on one line (also what syslog gets after its header). */
    static String body(ILoggingEvent event) {
        StringBuilder body = new StringBuilder(LogSetup.oneLine(event.getFormattedMessage()));
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                body.append(' ').append(pair.key).append('=');
                logfmtValue(String.valueOf(pair.value), body);
            }
        }
        return body.toString();
    }

    static void logfmtValue(String value, StringBuilder out) {
        String v = LogSetup.oneLine(value);
        boolean quote = v.isEmpty();
        for (int i = 0; i < v.length() && !quote; i++) {
            char c = v.charAt(i);
            quote = c <= ' ' || c == '=' || c == '"' || c == '\\';
        }
        if (!quote) {
            out.append(v);
            return;
        }
        out.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        out.append('"');
    }
}
