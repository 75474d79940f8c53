package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.Test;

class HttpResponseTest {

    private static long contentLength(String head) {
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        return HttpResponse.contentLength(bytes, bytes.length);
    }

    @Test
    void findsContentLengthInAnyCaseWithWhiteSpaceAroundNameAndValue() {
        assertThat(contentLength("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n")).isEqualTo(2);
        assertThat(contentLength("HTTP/1.1 200 OK\r\nServer: x\r\ncontent-LENGTH:\t 1234 \r\n\r\n")).isEqualTo(1234);
        assertThat(contentLength("HTTP/1.1 200 OK\n Content-Length :7\n\n")).isEqualTo(7);
        assertThat(contentLength("HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\n\r\n")).isEqualTo(-1);
        assertThat(contentLength("HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n")).isEqualTo(-1);
        assertThat(contentLength("HTTP/1.1 200 OK\r\n\r\n")).isEqualTo(-1);
        // Out of range is not a length, even where the digits wrap around to a small number (2^64).
        assertThat(contentLength("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n")).isEqualTo(-1);
        assertThat(contentLength("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n"))
                .isEqualTo(Long.MAX_VALUE);
        // The first one counts, as a client that reads the first would.
        assertThat(contentLength("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")).isEqualTo(3);
    }

    /** The rule as it was written first, on Strings: the byte scan must answer as it does, whatever the header. */
    private static long reference(String head) {
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

    @Test
    void answersAsTheStringRuleOnRandomHeaders() {
        String[] pieces = {"Content-Length", "content-length", "CONTENT-LENGTH", "Content-Type", "X", ":", ": ", " ",
            "\t", "\r", "\n", "\r\n", "12", "-3", "+4", "99999999999999999999", "abc", "\u00e9", "\u000b", "\u001c",
            "-", "+", "0", "7", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "\u00a0",
            "\u0085", "\u001f", "\f", "18446744073709551616"};
        Random random = new Random(20261206);
        for (int i = 0; i < 200_000; i++) {
            String text = randomText(random, pieces, 12);
            assertThat(contentLength(text)).as("%s", visible(text)).isEqualTo(reference(text));
        }
    }

    /** The byte scan of the status line must answer as the String rule ({@link HttpResponse#status}) does. */
    @Test
    void statusCodeAnswersAsTheStringRuleOnRandomStatusLines() {
        String[] pieces = {"HTTP/1.1", "HTTP/1.0", "HTTP/", "http/1.1", "HTTP", " ", "  ", "\t", "\r", "\n", "\r\n",
            "200", "404", "+12", "-12", "-01", "2x0", "20", "2000", "OK", "Not Found", "\u000b", "\u001c", "\u00a0",
            "\u0085", "\u00e9", "0"};
        Random random = new Random(20261207);
        for (int i = 0; i < 200_000; i++) {
            String text = randomText(random, pieces, 8);
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            HttpResponse.Status status = HttpResponse.status(bytes, bytes.length);
            assertThat(HttpResponse.statusCode(bytes, bytes.length)).as("%s", visible(text))
                    .isEqualTo(status == null ? HttpResponse.NOT_HTTP : status.code());
        }
    }

    /** Fewer than {@code most} of {@code pieces}, drawn at random and joined. */
    private static String randomText(Random random, String[] pieces, int most) {
        StringBuilder text = new StringBuilder();
        int n = random.nextInt(most);
        for (int j = 0; j < n; j++) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }

    /** {@code text} with its line ends written out, for a failure's message. */
    private static String visible(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n");
    }
}
