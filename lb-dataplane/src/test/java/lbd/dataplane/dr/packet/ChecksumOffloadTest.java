package lbd.dataplane.dr.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import lbd.dataplane.dr.TestFrames;
import org.junit.jupiter.api.Test;

/**
 * {@link Checksum#completeOffloaded}: a TCP or UDP checksum that the sender left to the NIC (its field holding the
 * pseudo-header's sum) is finished as the NIC would; a finished checksum, and any other value, stay as they are.
 */
class ChecksumOffloadTest {

    private static final long TCP_CHECK = 34 + 16;

    @Test
    void anIpv4SegmentLeftToTheNicIsFinished() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = frame(arena, TestFrames.tcp(TestFrames.CLIENT, 1000, TestFrames.VIP, 80, 0x18, -1, 0,
                    0x4000, 333));
            int tcpLength = (int) f.byteSize() - 34;
            Checksum.tcpOverIpv4(f, 14, 34, tcpLength);
            int finished = Net.u16(f, TCP_CHECK);

            Net.putU16(f, TCP_CHECK, pseudoHeaderSum(f, 26, 8, 6, tcpLength)); // as a sender with offload leaves it
            Checksum.completeOffloaded(f, (int) f.byteSize());
            assertThat(Net.u16(f, TCP_CHECK)).isEqualTo(finished);

            Checksum.completeOffloaded(f, (int) f.byteSize());
            assertThat(Net.u16(f, TCP_CHECK)).as("a finished checksum stays").isEqualTo(finished);

            Net.putU16(f, TCP_CHECK, finished ^ 0x0101); // damaged on the way: not ours to mend
            Checksum.completeOffloaded(f, (int) f.byteSize());
            assertThat(Net.u16(f, TCP_CHECK)).isEqualTo(finished ^ 0x0101);
        }
    }

    @Test
    void anIpv6DatagramLeftToTheNicIsFinished() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = frame(arena, TestFrames.tcp6(TestFrames.CLIENT6, 5353, TestFrames.VIP6, 53, 0));
            f.set(ValueLayout.JAVA_BYTE, 20, (byte) 17); // UDP: 8 bytes of header, 12 of payload
            Net.putU16(f, 54 + 4, 20);
            Checksum.udpOverIpv6(f, 14, 54, 20);
            int finished = Net.u16(f, 54 + 6);

            Net.putU16(f, 54 + 6, pseudoHeaderSum(f, 22, 32, 17, 20));
            Checksum.completeOffloaded(f, (int) f.byteSize());
            assertThat(Net.u16(f, 54 + 6)).isEqualTo(finished);
        }
    }

    /** The folded sum of the pseudo-header, not complemented: what the sender writes for the NIC to finish. */
    private static int pseudoHeaderSum(MemorySegment f, long addresses, int length, int protocol, int l4Length) {
        return ~Checksum.fold(Checksum.add(f, addresses, length, 0) + protocol + l4Length) & 0xffff;
    }

    private static MemorySegment frame(Arena arena, byte[] bytes) {
        MemorySegment f = arena.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, f, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return f;
    }
}
