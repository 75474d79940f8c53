package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * A held DR worker (an upgrade's hand-over: the other lbd process forwards) drops every frame, counted as
 * {@code dropped-held}, schedules nothing and keeps no flow; released, it forwards again. Frames go through
 * {@link DrWorker#handle} as received from the ring.
 */
class DrWorkerHoldTest {

    private static final long SERVER_MAC = OneGateServerWorker.SERVER_MAC;

    private final DrStats stats = new DrStats();
    private final DrWorker worker = OneGateServerWorker.counting(stats);

    /** The destination MAC the worker forwards a SYN from {@code clientPort} to, or -1 when it drops it. */
    private long syn(int clientPort) {
        byte[] frame = TestFrames.syn(clientPort);
        if (!worker.handle(MemorySegment.ofArray(frame), frame.length)) {
            return -1;
        }
        return ByteBuffer.wrap(frame).getLong() >>> 16;
    }

    @Test
    void aHeldWorkerDropsEveryFrameAndTracksNothing() {
        worker.hold(true);
        assertThat(syn(40000)).isEqualTo(-1);
        byte[] solicitation = TestFrames.neighbourSolicitation(1, 2, 255);
        assertThat(worker.handle(MemorySegment.ofArray(solicitation), solicitation.length)).isFalse();
        assertThat(stats.get(DrStats.HELD)).isEqualTo(2);
        assertThat(stats.get(DrStats.FORWARDED)).isZero();
        assertThat(worker.flowCount()).isZero();
    }

    @Test
    void releasedItForwardsAgain() {
        worker.hold(true);
        assertThat(syn(40001)).isEqualTo(-1);
        worker.hold(false);
        assertThat(syn(40001)).isEqualTo(SERVER_MAC);
        assertThat(stats.get(DrStats.FORWARDED)).isEqualTo(1);
        assertThat(worker.flowCount()).isEqualTo(1);
    }

    @Test
    void theCounterHasItsName() {
        assertThat(DrStats.name(DrStats.HELD)).isEqualTo("dropped-held");
    }
}
