package lbd.dataplane.sched;

/**
 * The hash functions IPVS's hashing schedulers use, so that lbd maps a client to the same bucket as the kernel
 * does (and every lbd process to the same one as every other): the kernel's {@code hash_32} and its 64-bit
 * {@code hsiphash}, which is SipHash-1-3 (lib/siphash.c: "on 64-bit, we make HalfSipHash1-3 actually be
 * SipHash1-3"). Written here because no kept Java library offers SipHash-1-3 (Guava has SipHash-2-4 only);
 * {@link #sipHash} is the general SipHash-c-d, checked against the reference vectors of SipHash-2-4.
 */
final class KernelHashes {

    /** include/linux/hash.h: GOLDEN_RATIO_32. */
    private static final int GOLDEN_RATIO_32 = 0x61C88647;

    private KernelHashes() {
    }

    /** hash_32(val, bits): the top {@code bits} bits of {@code val * GOLDEN_RATIO_32}. */
    static int hash32(int value, int bits) {
        return (value * GOLDEN_RATIO_32) >>> (32 - bits);
    }

    /** The kernel's address fold: an IPv4 address as its 32 bits (host order of the wire value). */
    static int fold(int ipv4) {
        return ipv4;
    }

    /** The kernel's fold of an IPv6 address: its four 32-bit words XORed (then taken in host order). */
    static int fold(byte[] address) {
        if (address.length == 4) {
            return word(address, 0);
        }
        return word(address, 0) ^ word(address, 4) ^ word(address, 8) ^ word(address, 12);
    }

    private static int word(byte[] a, int at) {
        return ((a[at] & 0xFF) << 24) | ((a[at + 1] & 0xFF) << 16) | ((a[at + 2] & 0xFF) << 8) | (a[at + 3] & 0xFF);
    }

    /**
     * hsiphash(&v, 4, key) on a 64-bit kernel, with both key words {@code k}: SipHash-1-3 of the 4 bytes of
     * {@code v} (little-endian), its low 32 bits. No allocation: the 4 bytes are the one, partial, last block.
     */
    static int hsiphash(int v, long k) {
        long v0 = 0x736f6d6570736575L ^ k;
        long v1 = 0x646f72616e646f6dL ^ k;
        long v2 = 0x6c7967656e657261L ^ k;
        long v3 = 0x7465646279746573L ^ k;
        long b = (4L << 56) | (v & 0xFFFF_FFFFL);
        v3 ^= b;
        for (int r = 0; r < 4; r++) { // one compression round, then three finalization rounds
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            if (r == 0) {
                v0 ^= b;
                v2 ^= 0xff;
            }
        }
        return (int) ((v0 ^ v1) ^ (v2 ^ v3));
    }

    /** SipHash-c-d of {@code message} with the 128-bit key (k0, k1): the reference algorithm, for tests. */
    static long sipHash(int c, int d, long k0, long k1, byte[] message) {
        long[] v = {0x736f6d6570736575L ^ k0, 0x646f72616e646f6dL ^ k1, 0x6c7967656e657261L ^ k0,
                0x7465646279746573L ^ k1};
        int blocks = message.length / 8;
        for (int i = 0; i < blocks; i++) {
            long m = littleEndian(message, i * 8, 8);
            v[3] ^= m;
            for (int r = 0; r < c; r++) {
                round(v);
            }
            v[0] ^= m;
        }
        long b = ((long) message.length << 56) | littleEndian(message, blocks * 8, message.length - blocks * 8);
        v[3] ^= b;
        for (int r = 0; r < c; r++) {
            round(v);
        }
        v[0] ^= b;
        v[2] ^= 0xff;
        for (int r = 0; r < d; r++) {
            round(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static long littleEndian(byte[] a, int at, int n) {
        long x = 0;
        for (int i = n - 1; i >= 0; i--) {
            x = (x << 8) | (a[at + i] & 0xFF);
        }
        return x;
    }

    private static void round(long[] v) {
        v[0] += v[1]; v[1] = Long.rotateLeft(v[1], 13); v[1] ^= v[0]; v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3]; v[3] = Long.rotateLeft(v[3], 16); v[3] ^= v[2];
        v[0] += v[3]; v[3] = Long.rotateLeft(v[3], 21); v[3] ^= v[0];
        v[2] += v[1]; v[1] = Long.rotateLeft(v[1], 17); v[1] ^= v[2]; v[2] = Long.rotateLeft(v[2], 32);
    }
}
