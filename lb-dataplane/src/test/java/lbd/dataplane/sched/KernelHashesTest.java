package lbd.dataplane.sched;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The kernel's hashes: SipHash against its reference vectors, hsiphash as SipHash-1-3 of 4 bytes, hash_32. */
class KernelHashesTest {

    private static final long K0 = 0x0706050403020100L; // the reference key 00 01 .. 0f, little-endian words
    private static final long K1 = 0x0f0e0d0c0b0a0908L;

    @Test
    void sipHash24MatchesTheReferenceVectors() {
        assertThat(KernelHashes.sipHash(2, 4, K0, K1, new byte[0])).isEqualTo(0x726fdb47dd0e0e31L);
        byte[] fifteen = new byte[15];
        for (int i = 0; i < fifteen.length; i++) {
            fifteen[i] = (byte) i;
        }
        assertThat(KernelHashes.sipHash(2, 4, K0, K1, fifteen)).isEqualTo(0xa129ca6149be45e5L);
    }

    @Test
    void hsiphashIsSipHash13OfTheFourLittleEndianBytesTruncated() {
        long key = 2654435761L;
        for (int v : new int[] {0, 1, 80, 0xC6120001, -1, 0x7F000001 + 443}) {
            byte[] le = {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
            assertThat(KernelHashes.hsiphash(v, key)).as("v = %08x", v)
                    .isEqualTo((int) KernelHashes.sipHash(1, 3, key, key, le));
        }
    }

    @Test
    void hash32TakesTheTopBitsOfTheGoldenRatioProduct() {
        assertThat(KernelHashes.hash32(1, 8)).isEqualTo(0x61);
        assertThat(KernelHashes.hash32(0, 8)).isZero();
        assertThat(KernelHashes.hash32(2, 8)).isEqualTo((2 * 0x61C88647) >>> 24);
    }

    @Test
    void anIpv6AddressFoldsToItsFourWordsXored() {
        byte[] a = new byte[16];
        a[3] = 1;
        a[7] = 2;
        a[15] = 4;
        assertThat(KernelHashes.fold(a)).isEqualTo(7);
        assertThat(KernelHashes.fold(new byte[] {(byte) 198, 18, 0, 1})).isEqualTo(0xC6120001);
    }
}
