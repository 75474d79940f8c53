package lbd.bench.latency;

import java.nio.ByteBuffer;

/**
 * Finds where one HTTP/1.1 response ends, fed the bytes as they arrive, without allocating: the status code, the
 * end of the header block, and the body's end by {@code Content-Length} or, without one, by end of stream (which
 * only a {@code Connection: close} exchange has). Chunked bodies are not needed by the load client (nginx answers a
 * static file with a length) and are reported as malformed rather than misread.
 */
final class HttpResponseFraming {

    enum Outcome { NEED_MORE, COMPLETE, MALFORMED }

    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes();
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes();
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private enum State { STATUS, HEADERS, BODY, DONE }

    private State state = State.STATUS;
    private int status;
    private int lineLength;
    private boolean previousWasCr;
    private int headerBytes;
    /** which of the two interesting header names the current line still matches, by its prefix so far */
    private boolean mayBeLength;
    private boolean mayBeTransferEncoding;
    private boolean inLengthValue;
    private boolean lengthSeen;
    private long contentLength = -1;
    private long bodyLeft;

    void reset() {
        state = State.STATUS;
        status = 0;
        lineLength = 0;
        previousWasCr = false;
        headerBytes = 0;
        inLengthValue = false;
        lengthSeen = false;
        contentLength = -1;
        bodyLeft = 0;
    }

    int status() {
        return status;
    }

    /** Whether the body runs to end of stream (no {@code Content-Length}); meaningful once the headers are read. */
    boolean bodyEndsAtEof() {
        return contentLength < 0;
    }

    /**
     * Consumes the readable bytes of {@code in} (its position moves to what was consumed: bytes after a complete
     * response are left unread, so a pipelining peer is not silently accepted).
     */
    Outcome feed(ByteBuffer in) {
        while (in.hasRemaining()) {
            switch (state) {
                case STATUS, HEADERS -> {
                    if (++headerBytes > MAX_HEADER_BYTES) {
                        return Outcome.MALFORMED;
                    }
                    byte b = in.get();
                    Outcome o = state == State.STATUS ? statusByte(b) : headerByte(b);
                    if (o != Outcome.NEED_MORE) {
                        return o;
                    }
                }
                case BODY -> {
                    if (contentLength < 0) {
                        in.position(in.limit()); // read to end of stream
                    } else {
                        int n = (int) Math.min(bodyLeft, in.remaining());
                        in.position(in.position() + n);
                        bodyLeft -= n;
                        if (bodyLeft == 0) {
                            state = State.DONE;
                            return Outcome.COMPLETE;
                        }
                    }
                }
                case DONE -> {
                    return Outcome.COMPLETE;
                }
            }
        }
        return state == State.DONE ? Outcome.COMPLETE : Outcome.NEED_MORE;
    }

    /** The peer closed its side: a body without a length ends here; anything else is cut short. */
    Outcome endOfStream() {
        if (state == State.DONE || (state == State.BODY && contentLength < 0)) {
            state = State.DONE;
            return Outcome.COMPLETE;
        }
        return Outcome.MALFORMED;
    }

    // "HTTP/1.x SSS ..." : the code is bytes 9..11 of the line
    private Outcome statusByte(byte b) {
        int i = lineLength++;
        if (b == '\n') {
            if (lineLength < 13 || status < 100) {
                return Outcome.MALFORMED;
            }
            state = State.HEADERS;
            startLine();
            return Outcome.NEED_MORE;
        }
        if (i < 5 && b != "HTTP/".charAt(i)) {
            return Outcome.MALFORMED;
        }
        if (i >= 9 && i <= 11) {
            if (b < '0' || b > '9') {
                return Outcome.MALFORMED;
            }
            status = status * 10 + (b - '0');
        }
        return Outcome.NEED_MORE;
    }

    private Outcome headerByte(byte b) {
        int i = lineLength++;
        if (b == '\n') {
            if (i == 0 || (i == 1 && previousWasCr)) { // the empty line: end of the header block
                if (lengthSeen && contentLength < 0) {
                    return Outcome.MALFORMED;
                }
                bodyLeft = contentLength;
                if (contentLength == 0 || status == 204 || status == 304) {
                    state = State.DONE;
                    return Outcome.COMPLETE;
                }
                state = State.BODY;
                return Outcome.NEED_MORE;
            }
            inLengthValue = false;
            startLine();
            return Outcome.NEED_MORE;
        }
        previousWasCr = b == '\r';
        if (inLengthValue) {
            if (b >= '0' && b <= '9') {
                contentLength = (contentLength < 0 ? 0 : contentLength * 10) + (b - '0');
            } else if (b != ' ' && b != '\t' && b != '\r') {
                return Outcome.MALFORMED;
            }
            return Outcome.NEED_MORE;
        }
        byte lower = b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
        mayBeLength &= i < CONTENT_LENGTH.length && CONTENT_LENGTH[i] == lower;
        mayBeTransferEncoding &= i < TRANSFER_ENCODING.length && TRANSFER_ENCODING[i] == lower;
        if (mayBeLength && i == CONTENT_LENGTH.length - 1) {
            if (lengthSeen) {
                return Outcome.MALFORMED; // two lengths: refuse rather than guess
            }
            lengthSeen = true;
            inLengthValue = true;
        }
        if (mayBeTransferEncoding && i == TRANSFER_ENCODING.length - 1) {
            return Outcome.MALFORMED; // chunked (or any coding) is not what the benchmark backend sends
        }
        return Outcome.NEED_MORE;
    }

    private void startLine() {
        lineLength = 0;
        previousWasCr = false;
        mayBeLength = true;
        mayBeTransferEncoding = true;
    }
}
