package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The virtio-net header a packet for the director's own stack carries into the TUN device: the received frame's
 * offload state, with the offsets the packet socket counts from the Ethernet header counted from the IP header
 * (the device gets no Ethernet header). Wrong offsets would make the kernel complete the checksum at the wrong
 * place and drop every coalesced upload to a local sorry server.
 */
class LocalDeliveryTest {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    @Test
    void offsetsMoveFromTheFramesStartToTheIpHeader() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment received = arena.allocate(10);
            received.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);  // VIRTIO_NET_HDR_F_NEEDS_CSUM
            received.set(ValueLayout.JAVA_BYTE, 1, (byte) 1);  // VIRTIO_NET_HDR_GSO_TCPV4
            received.set(U16, 2, (short) 66);                  // Ethernet + IPv4 + TCP with options
            received.set(U16, 4, (short) 1448);
            received.set(U16, 6, (short) 34);                  // the TCP header, from the frame's start
            received.set(U16, 8, (short) 16);                  // the checksum within it
            for (int l3 : new int[] {14, 18}) {                // untagged, one VLAN tag
                MemorySegment frame = arena.allocate(128).fill((byte) 0x55);
                LocalDelivery.writeTunHeader(received, frame, l3);
                int at = l3 - 10;
                assertThat(frame.get(ValueLayout.JAVA_BYTE, at)).isEqualTo((byte) 1);
                assertThat(frame.get(ValueLayout.JAVA_BYTE, at + 1)).isEqualTo((byte) 1);
                assertThat(frame.get(U16, at + 2)).isEqualTo((short) (66 - l3));
                assertThat(frame.get(U16, at + 4)).isEqualTo((short) 1448);
                assertThat(frame.get(U16, at + 6)).isEqualTo((short) (34 - l3));
                assertThat(frame.get(U16, at + 8)).isEqualTo((short) 16);
                assertThat(frame.get(ValueLayout.JAVA_BYTE, l3)).as("the IP header is untouched").isEqualTo((byte) 0x55);
            }
        }
    }

    @Test
    void aChecksumStartIsMovedOnlyWhenTheChecksumIsLeftToComplete() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment received = arena.allocate(10);      // flags 0: the checksum is complete
            received.set(U16, 6, (short) 0);
            MemorySegment frame = arena.allocate(64).fill((byte) 0x55);
            LocalDelivery.writeTunHeader(received, frame, 14);
            assertThat(frame.asSlice(4, 10).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
        }
    }

    @Test
    void withoutAReceivedHeaderTheDeviceIsToldThereIsNothingToDo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment frame = arena.allocate(64).fill((byte) 0x55);
            LocalDelivery.writeTunHeader(null, frame, 14);
            assertThat(frame.asSlice(4, 10).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
            assertThat(frame.get(ValueLayout.JAVA_BYTE, 3)).isEqualTo((byte) 0x55);
        }
    }
}
