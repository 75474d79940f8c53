package lbd.health;

import java.nio.charset.StandardCharsets;

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

    /** What {@link #statusCode} answers for a response that is not {@code HTTP/x.y NNN ...}. */
    static final int NOT_HTTP = Integer.MIN_VALUE;

    /**
     * The status line's code as {@link #status} reads it, straight from the bytes and without making a String (a
     * health check judges every response): the first line, stripped of white space, must start with
     * {@code HTTP/}; its second space-separated field must be three characters that parse as an int. NOT_HTTP
     * when {@link #status} would answer null.
     */
    static int statusCode(byte[] buf, int headerEnd) {
        int eol = 0;
        while (eol < headerEnd && buf[eol] != '\n') {
            eol++;
        }
        int start = stripStart(buf, 0, eol);
        int end = stripEnd(buf, start, eol);
        if (end - start < 5 || buf[start] != 'H' || buf[start + 1] != 'T' || buf[start + 2] != 'T'
                || buf[start + 3] != 'P' || buf[start + 4] != '/') {
            return NOT_HTTP;
        }
        int space = start;
        while (space < end && buf[space] != ' ') {
            space++;
        }
        int fieldEnd = space + 1;
        while (fieldEnd < end && buf[fieldEnd] != ' ') {
            fieldEnd++;
        }
        if (space >= end || fieldEnd - space - 1 != 3) {
            return NOT_HTTP;
        }
        int first = buf[space + 1];
        int sign = first == '-' ? -1 : 1;
        int from = first == '-' || first == '+' ? space + 2 : space + 1;
        int code = 0;
        for (int i = from; i < fieldEnd; i++) {
            int digit = buf[i] - '0';
            if (digit < 0 || digit > 9) {
                return NOT_HTTP;
            }
            code = code * 10 + digit;
        }
        return sign * code;
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

    /**
     * Content-Length, or -1 when absent or not a number (the body then ends when the server closes). Lines end at
     * LF, a CR before it is not part of the line; the header's name and value may be surrounded by white space. Read
     * from the bytes: a health check calls this after every read of its response.
     */
    static long contentLength(byte[] buf, int headerEnd) {
        int start = 0;
        while (start < headerEnd) {
            int end = start;
            while (end < headerEnd && buf[end] != '\n') {
                end++;
            }
            int next = end + 1;
            if (end > start && buf[end - 1] == '\r' && end < headerEnd) {
                end--; // "\r\n": the CR is not part of the line
            }
            int colon = start;
            while (colon < end && buf[colon] != ':') {
                colon++;
            }
            if (colon > start && colon < end && isContentLength(buf, start, colon)) {
                return parseLong(buf, colon + 1, end);
            }
            start = next;
        }
        return -1;
    }

    /**
     * {@code Long.parseLong} of {@code buf[from, to)} read as ISO-8859-1 and stripped of white space, or -1 where it
     * would throw (empty, a sign alone, anything but ASCII digits after the sign, out of range): without the String
     * and the exception that a check would otherwise make on every read of its response.
     */
    private static long parseLong(byte[] buf, int from, int to) {
        from = stripStart(buf, from, to);
        to = stripEnd(buf, from, to);
        int i = from;
        boolean negative = i < to && buf[i] == '-';
        if (i < to && (buf[i] == '-' || buf[i] == '+')) {
            i++;
        }
        if (i == to) {
            return -1;
        }
        // Accumulated below zero, as Long.parseLong does, so that Long.MIN_VALUE fits.
        long limit = negative ? Long.MIN_VALUE : -Long.MAX_VALUE;
        long result = 0;
        for (; i < to; i++) {
            int digit = buf[i] - '0';
            if (digit < 0 || digit > 9 || result < limit / 10) {
                return -1;
            }
            result *= 10;
            if (result < limit + digit) {
                return -1;
            }
            result -= digit;
        }
        return negative ? result : -result;
    }

    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(StandardCharsets.US_ASCII);

    /** Whether {@code buf[from, to)}, without surrounding white space, is "Content-Length" in any case. */
    private static boolean isContentLength(byte[] buf, int from, int to) {
        from = stripStart(buf, from, to);
        to = stripEnd(buf, from, to);
        if (to - from != CONTENT_LENGTH.length) {
            return false;
        }
        for (int i = 0; i < CONTENT_LENGTH.length; i++) {
            int b = buf[from + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != CONTENT_LENGTH[i]) {
                return false;
            }
        }
        return true;
    }

    /** The first index of {@code buf[from, to)} that is not white space as {@link String#strip} sees ISO-8859-1. */
    private static int stripStart(byte[] buf, int from, int to) {
        while (from < to && Character.isWhitespace((char) (buf[from] & 0xff))) {
            from++;
        }
        return from;
    }

    /** One past the last index of {@code buf[from, to)} that is not white space, or {@code from}. */
    private static int stripEnd(byte[] buf, int from, int to) {
        while (to > from && Character.isWhitespace((char) (buf[to - 1] & 0xff))) {
            to--;
        }
        return to;
    }
}
