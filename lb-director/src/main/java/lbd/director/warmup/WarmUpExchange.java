package lbd.director.warmup;

import java.util.Arrays;

/**
 * What the warm-up's clients and real server say to each other through the private proxy: requests and replies
 * the size of a small HTTP request and response. The first byte of a request says whether the server closes after
 * its reply ({@link #CLOSE}: a new connection per request) or waits for the next ({@link #KEEP}).
 */
final class WarmUpExchange {

    static final int REQUEST_BYTES = 96;
    static final int REPLY_BYTES = 320;
    static final byte CLOSE = 'C';
    static final byte KEEP = 'K';
    // A healthy loopback answers in microseconds, a starved machine in seconds; an exchange stuck for longer ends
    // the warm-up instead of holding READY=1.
    static final int IO_TIMEOUT_MILLIS = 10_000;
    static final byte[] REPLY = filled(REPLY_BYTES, (byte) 'r');

    private WarmUpExchange() {
    }

    static byte[] request(byte kind) {
        byte[] request = filled(REQUEST_BYTES, (byte) 'q');
        request[0] = kind;
        return request;
    }

    private static byte[] filled(int size, byte value) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
