package lbd.dataplane.nat;

import java.io.IOException;
import java.io.InputStream;

/**
 * The byte stream the bulk tests send through the proxy: byte n is n mod 251 (a prime, so chunk boundaries
 * never line up with the pattern), so a reader can tell a lost, doubled or corrupted byte from a good one.
 */
final class BytePattern {

    private BytePattern() {
    }

    static byte at(long position) {
        return (byte) (position % 251);
    }

    /** Fills {@code chunk} with the pattern's bytes from {@code offset} on. */
    static void fill(byte[] chunk, long offset) {
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = at(offset + i);
        }
    }

    /** Reads to EOF, checking every byte against the pattern; returns the count. */
    static long readChecked(InputStream in) throws IOException {
        byte[] buffer = new byte[256 * 1024];
        long received = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            for (int i = 0; i < n; i++) {
                if (buffer[i] != at(received + i)) {
                    throw new AssertionError("byte " + (received + i) + " corrupted");
                }
            }
            received += n;
        }
        return received;
    }
}
