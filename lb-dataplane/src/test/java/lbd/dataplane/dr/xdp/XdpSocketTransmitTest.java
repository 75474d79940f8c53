package lbd.dataplane.dr.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import lbd.dataplane.dr.Shell;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import org.junit.jupiter.api.Test;

/**
 * An AF_XDP socket's sending side, on the loopback interface (which hands every frame it sends back as received, to a
 * packet socket here): each frame queued leaves once, whole, when the queue is sent; the sending frames come back
 * through the completion ring, so that many more frames than the socket has to send from go out one batch after
 * another; its send buffer has room for all of them; and a socket opened as not sending takes nothing. ARP requests,
 * which loopback neither answers nor passes on. Root only; skips otherwise.
 */
class XdpSocketTransmitTest {

    private static final int LOOPBACK = 1;
    /** Up to how long the loopback's queue 0 may stay with a socket an earlier test class closed (see openWhenFree). */
    private static final java.time.Duration QUEUE_FREED = java.time.Duration.ofSeconds(2);
    private static final int BATCH = 64;

    @Test
    void framesLeaveOnceEachAndTheSendingFramesComeBack() {
        assumeTrue(Shell.isRoot(), "XdpSocketTransmitTest needs root (AF_XDP, AF_PACKET); skipped");
        int total = 8 * XdpSocket.TX_FRAMES;
        try (Arena arena = Arena.ofConfined();
             PacketSocket receiver = PacketSocket.open("lo", LOOPBACK, BpfFilter.forVips(new int[0]), -1);
             XdpSocket sender = XdpSocket.openWhenFree("lo", LOOPBACK, 0, true, QUEUE_FREED)) {
            // As root, past net.core.wmem_max: room for every sending frame's skb while a NIC sends it.
            assertThat(sender.sendBufferBytes()).isEqualTo(2 * XdpSocket.SEND_BUFFER);
            MemorySegment frame = arena.allocate(128);
            MemorySegment received = arena.allocate(65536);
            int arrived = 0;
            int sent = 0;
            while (sent < total) {
                for (int i = 0; i < BATCH; i++, sent++) { // 198.18.0.1 asks for 198.18.N.M: each frame its own
                    int length = ArpFrame.write(frame, ArpFrame.BROADCAST, ArpFrame.REQUEST, 0x02_00_00_00_00_01L,
                            0xc612_0001, 0, 0xc612_0000 + sent);
                    assertThat(sender.transmit(frame, 0, length)).as("frame %d taken", sent).isTrue();
                }
                assertThat(sender.transmitPending()).as("nothing leaves before the queue is sent").isTrue();
                sender.transmitQueued();
                assertThat(sender.transmitPending()).as("the kernel took the batch").isFalse();
                int length;
                while ((length = receiver.receive(received)) > 0) {
                    assertThat(length).isEqualTo(42);
                    // The target address: the frames arrive in the order sent, each once.
                    assertThat(Net.u32(received, 38))
                            .isEqualTo(0xc612_0000 + arrived);
                    arrived++;
                }
            }
            assertThat(arrived).isEqualTo(total);
            assertThat(sender.dropsSinceLastRead()).isZero();
            assertThat(sender.refusedAtLastRead()).as("descriptors the kernel refused").isZero();
        }
    }

    @Test
    void aSocketOpenedAsNotSendingTakesNothing() {
        assumeTrue(Shell.isRoot(), "XdpSocketTransmitTest needs root (AF_XDP); skipped");
        try (Arena arena = Arena.ofConfined();
             XdpSocket receiveOnly = XdpSocket.openWhenFree("lo", LOOPBACK, 0, false, QUEUE_FREED)) {
            MemorySegment frame = arena.allocate(64);
            assertThat(receiveOnly.transmit(frame, 0, 42)).isFalse();
            assertThat(receiveOnly.transmitPending()).isFalse();
        }
    }
}
