package lbd.dataplane.dr.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.Shell;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import org.junit.jupiter.api.Test;

/**
 * The one-armed send without a copy ({@link XdpSocket#transmitLastInPlace}): a received frame leaves from where it
 * lies, a sending frame takes its place on the fill ring, and the frame comes back through the completion ring as a
 * sending frame. On the loopback interface, with lbd's program attached for one service (198.18.0.100:80): a frame
 * for it, sent by a packet socket, is received through AF_XDP, sent in place, comes back in through the program, and
 * is received again, whole. Four times as many rounds as the socket has sending frames, so they must come back
 * through the completion ring; and the fill ring goes round twice, so frames are received into what were sending
 * frames, which they are not when the received frame is left on the fill ring while it is also sent. (Copy mode
 * copies a frame during the sendto, before the fill ring is given back, so such a frame owned twice does not show as
 * changed bytes here.) Root only (bpf(2), AF_XDP); skips otherwise.
 */
class XdpSendInPlaceTest {

    private static final int LOOPBACK = 1;
    private static final int VIP = 0xc612_0064; // 198.18.0.100
    private static final int FRAME = 14 + 20 + 20 + 8;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Test
    void framesSentInPlaceComeBackWholeRoundAfterRound() throws Exception {
        assumeTrue(Shell.isRoot(), "XdpSendInPlaceTest needs root (bpf(2), AF_XDP); skipped");
        VirtualServiceKey service = new VirtualServiceKey(Protocol.TCP,
                new Endpoint(InetAddress.getByName("198.18.0.100"), 80));
        DrInterface lo = new DrInterface("lo", LOOPBACK, 0, 1, 1); // loopback's MAC is all zeroes
        int rounds = 4 * XdpSocket.TX_FRAMES;
        try (Arena arena = Arena.ofConfined();
             XdpReceive receive = XdpReceive.open(List.of(lo), 1, List.of(service), false);
             PacketSocket sender = PacketSocket.open("lo", LOOPBACK, BpfFilter.forVips(new int[0]), -1)) {
            receive.openSockets();
            receive.attached(true);
            XdpSocket socket = receive.socketsOf(0)[0];
            MemorySegment out = arena.allocate(sender.headerLength() + FRAME);
            long sendingRegion = XdpSocket.UMEM_BYTES - (long) XdpSocket.TX_FRAMES * XdpSocket.FRAME_SIZE;
            int receivedInSendingFrames = 0;
            for (int round = 0; round < rounds; round++) {
                writeFrame(out.asSlice(sender.headerLength()), round);
                assertThat(sender.send(out, FRAME)).as("round %d sent", round).isTrue();

                long at = await(socket);
                if (at >= sendingRegion) {
                    receivedInSendingFrames++;
                }
                assertThat(sequence(socket, at)).as("round %d received", round).isEqualTo(round);
                assertThat(socket.transmitLastInPlace(at, socket.lastLength()))
                        .as("round %d: a sending frame free to take its place", round).isTrue();
                socket.transmitQueued();
                socket.release();

                long back = await(socket);
                if (back >= sendingRegion) {
                    receivedInSendingFrames++;
                }
                assertThat(socket.lastLength()).isEqualTo(FRAME);
                assertThat(sequence(socket, back)).as("round %d, back in after the send", round).isEqualTo(round);
                socket.release();
            }
            // The fill ring went round twice: the sending frames that took the sent frames' places were filled too.
            assertThat(receivedInSendingFrames).as("frames received into what were sending frames").isPositive();
            assertThat(socket.dropsSinceLastRead()).as("frames the kernel dropped for want of room").isZero();
            assertThat(socket.refusedAtLastRead()).isZero();
        }
    }

    /** The next frame received, waiting up to 2 s; its offset in the UMEM. */
    private static long await(XdpSocket socket) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long at;
        while ((at = socket.next()) < 0) {
            assertThat(System.nanoTime() - deadline).as("a frame arrived within 2 s").isNegative();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
        return at;
    }

    /** The round number the frame at {@code at} carries in its payload. */
    private static int sequence(XdpSocket socket, long at) {
        return socket.umem().get(INT, at + 14 + 20 + 20);
    }

    /** A TCP ACK from 198.18.0.1:40000 to the service, to loopback's MAC, its payload the round number twice. */
    private static void writeFrame(MemorySegment f, int round) {
        f.fill((byte) 0);
        f.set(SHORT, 12, (short) 0x0800);
        f.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
        f.set(SHORT, 16, (short) (20 + 20 + 8));
        f.set(ValueLayout.JAVA_BYTE, 14 + 8, (byte) 64);
        f.set(ValueLayout.JAVA_BYTE, 14 + 9, (byte) 6);
        f.set(INT, 14 + 12, 0xc612_0001);
        f.set(INT, 14 + 16, VIP);
        f.set(SHORT, 34, (short) 40000);
        f.set(SHORT, 36, (short) 80);
        f.set(ValueLayout.JAVA_BYTE, 34 + 12, (byte) 0x50);
        f.set(ValueLayout.JAVA_BYTE, 34 + 13, (byte) 0x10);
        f.set(INT, 54, round);
        f.set(INT, 58, round);
    }
}
