package lbd.health;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Just enough HTTP/1.x response parsing for a health check: status line, header end, Content-Length. */
final class HttpResponse {

    record Status(int code, String reason) {
    }

    private HttpResponse() {
    }

    /** Index just past the blank line ending the headers, or -1 when not received yet. */
    static int headerEnd(byte[] buf, int length) {
        for (int i = 0; i + 1 < length; i++) {
            if (buf[i] == '\n') {
                if (buf[i + 1] == '\n') {
                    return i + 2;
                }
                if (buf[i + 1] == '\r' && i + 2 < length && buf[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    /** The status line's code and reason, or null if it is not {@code HTTP/x.y NNN ...}. */
    static Status status(byte[] buf, int headerEnd) {
        String head = new String(buf, 0, headerEnd, StandardCharsets.ISO_8859_1);
        int eol = head.indexOf('\n');
        String line = (eol < 0 ? head : head.substring(0, eol)).strip();
        if (!line.startsWith("HTTP/")) {
            return null;
        }
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || parts[1].length() != 3) {
            return null;
        }
        try {
            return new Status(Integer.parseInt(parts[1]), parts.length == 3 ? parts[2] : "");
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Content-Length, or -1 when absent (the body then ends when the server closes). */
    static long contentLength(byte[] buf, int headerEnd) {
        String head = new String(buf, 0, headerEnd, StandardCharsets.ISO_8859_1);
        for (String line : head.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("content-length")) {
                try {
                    return Long.parseLong(line.substring(colon + 1).strip());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
