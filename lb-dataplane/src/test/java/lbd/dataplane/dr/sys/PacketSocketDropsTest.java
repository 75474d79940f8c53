package lbd.dataplane.dr.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import lbd.dataplane.dr.Shell;
import lbd.dataplane.dr.packet.ArpFrame;
import org.junit.jupiter.api.Test;

/**
 * A packet socket whose receive ring is full counts what the kernel dropped for it, and each read starts the count
 * again (the DR workers add it to {@code dropped-receive-ring-full} once a second). On the loopback interface with
 * ARP requests, which loopback neither answers nor passes on. Root only; skips otherwise.
 */
class PacketSocketDropsTest {

    private static final int LOOPBACK = 1;

    @Test
    void framesDroppedOnAFullRingAreCountedOnce() {
        assumeTrue(Shell.isRoot(), "PacketSocketDropsTest needs root (AF_PACKET); skipped");
        try (Arena arena = Arena.ofConfined();
             PacketSocket receiver = PacketSocket.open("lo", LOOPBACK, BpfFilter.forVips(new int[0]), -1, false, 1,
                     4096);
             PacketSocket sender = PacketSocket.open("lo", LOOPBACK, BpfFilter.forVips(new int[0]), -1)) {
            MemorySegment frame = arena.allocate(64);
            int length = ArpFrame.write(frame, ArpFrame.BROADCAST, ArpFrame.REQUEST, 0x02_00_00_00_00_01L,
                    0xc612_0001, 0, 0xc612_0002); // 198.18.0.1 asks for 198.18.0.2
            assertThat(receiver.dropsSinceLastRead()).isZero();
            for (int i = 0; i < 1000; i++) { // a 4 KiB ring holds a few dozen; nothing reads it
                assertThat(sender.send(frame, length)).isTrue();
            }
            long dropped = receiver.dropsSinceLastRead();
            assertThat(dropped).isBetween(900L, 1000L);
            assertThat(receiver.dropsSinceLastRead()).as("the next read counts from the last").isZero();
        }
    }
}
