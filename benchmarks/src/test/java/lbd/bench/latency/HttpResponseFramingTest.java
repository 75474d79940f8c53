package lbd.bench.latency;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import lbd.bench.latency.HttpResponseFraming.Outcome;
import org.junit.jupiter.api.Test;

class HttpResponseFramingTest {

    private static final String NGINX_SMALL = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 10\r\nConnection: keep-alive\r\nAccept-Ranges: bytes\r\n\r\nxxxxxxxxxx";

    private final HttpResponseFraming framing = new HttpResponseFraming();

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aResponseWithALengthIsCompleteAtItsLastBodyByte() {
        ByteBuffer all = bytes(NGINX_SMALL);
        ByteBuffer lessOne = all.duplicate().limit(all.limit() - 1);
        assertThat(framing.feed(lessOne)).isEqualTo(Outcome.NEED_MORE);
        assertThat(framing.feed(all.position(lessOne.position()))).isEqualTo(Outcome.COMPLETE);
        assertThat(framing.status()).isEqualTo(200);
        assertThat(all.hasRemaining()).isFalse();
    }

    @Test
    void bytesArrivingOneByOneFrameTheSameResponse() {
        byte[] raw = NGINX_SMALL.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < raw.length - 1; i++) {
            assertThat(framing.feed(ByteBuffer.wrap(raw, i, 1))).as("byte %d", i).isEqualTo(Outcome.NEED_MORE);
        }
        assertThat(framing.feed(ByteBuffer.wrap(raw, raw.length - 1, 1))).isEqualTo(Outcome.COMPLETE);
    }

    @Test
    void theNextResponseIsLeftUnreadAndFramedAfterAReset() {
        String second = NGINX_SMALL.replace("200 OK", "404 Not Found");
        ByteBuffer two = bytes(NGINX_SMALL + second);
        assertThat(framing.feed(two)).isEqualTo(Outcome.COMPLETE);
        assertThat(two.remaining()).isEqualTo(second.length());
        framing.reset();
        assertThat(framing.feed(two)).isEqualTo(Outcome.COMPLETE);
        assertThat(framing.status()).isEqualTo(404);
    }

    @Test
    void headerNamesAreCaseInsensitiveAndAnEmptyBodyCompletesAtTheHeaders() {
        assertThat(framing.feed(bytes("HTTP/1.1 204 No Content\r\n\r\n"))).isEqualTo(Outcome.COMPLETE);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:  3 \r\n\r\nabc"))).isEqualTo(Outcome.COMPLETE);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))).isEqualTo(Outcome.COMPLETE);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\nContent-Length: 2\n\nab"))).isEqualTo(Outcome.COMPLETE);
    }

    @Test
    void withoutALengthTheBodyRunsToEndOfStream() {
        assertThat(framing.feed(bytes("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nsome body"))).isEqualTo(Outcome.NEED_MORE);
        assertThat(framing.bodyEndsAtEof()).isTrue();
        assertThat(framing.endOfStream()).isEqualTo(Outcome.COMPLETE);
    }

    @Test
    void aResponseCutShortIsMalformed() {
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))).isEqualTo(Outcome.NEED_MORE);
        assertThat(framing.endOfStream()).isEqualTo(Outcome.MALFORMED);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\nContent-Le"))).isEqualTo(Outcome.NEED_MORE);
        assertThat(framing.endOfStream()).isEqualTo(Outcome.MALFORMED);
    }

    @Test
    void whatIsNotAPlainHttpResponseIsMalformed() {
        assertThat(framing.feed(bytes("SSH-2.0-OpenSSH\r\n"))).isEqualTo(Outcome.MALFORMED);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 2x0 OK\r\n"))).isEqualTo(Outcome.MALFORMED);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))).isEqualTo(Outcome.MALFORMED);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")))
                .isEqualTo(Outcome.MALFORMED);
        framing.reset();
        assertThat(framing.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n"))).isEqualTo(Outcome.MALFORMED);
    }
}
