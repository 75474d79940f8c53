package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A frame whose handling fails inside the DR worker (a bug; here provoked by handing it a SYN in read-only memory, so
 * that rewriting it for the real server throws) is dropped and counted as {@code dropped-internal-error}, and the
 * worker goes on forwarding; the error is logged at once, then not again for a minute. A failure in the work between
 * frames is logged the same way, and the worker goes on too.
 */
class DrWorkerInternalErrorTest {

    private final DrStats stats = new DrStats();
    private final DrWorker worker = OneGateServerWorker.counting(stats);
    private final Logger logger = (Logger) LoggerFactory.getLogger(DrWorker.class);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureTheLog() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void releaseTheLog() {
        logger.detachAppender(log);
    }

    @Test
    void aFrameItFailsOnIsDroppedAndCountedAndTheWorkerGoesOn() {
        long now = 1_000_000;
        byte[] first = TestFrames.syn(40000);
        assertThat(worker.handle(readOnly(first), first.length, now)).isFalse();
        assertThat(stats.get(DrStats.INTERNAL_ERROR)).isEqualTo(1);
        assertThat(log.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.ERROR);
            assertThat(e.getFormattedMessage()).contains("dropped 1 frame(s) it failed to handle")
                    .contains("Attempt to write a read-only segment");
        });

        byte[] syn = TestFrames.syn(40001);
        assertThat(worker.handle(MemorySegment.ofArray(syn), syn.length, now)).as("the next frame is forwarded")
                .isTrue();
        assertThat(stats.get(DrStats.FORWARDED)).isEqualTo(1);
    }

    @Test
    void theErrorIsLoggedAtMostOnceAMinuteWithHowManySince() {
        byte[] syn = TestFrames.syn(40000);
        long now = 1_000_000;
        worker.handle(readOnly(syn), syn.length, now);
        worker.handle(readOnly(syn), syn.length, now + 1_000);
        worker.handle(readOnly(syn), syn.length, now + 59_999);
        assertThat(log.list).hasSize(1);
        worker.handle(readOnly(syn), syn.length, now + 60_000);
        assertThat(log.list).hasSize(2);
        assertThat(log.list.get(1).getFormattedMessage()).contains("dropped 3 frame(s)");
        assertThat(stats.get(DrStats.INTERNAL_ERROR)).isEqualTo(4);
    }

    /**
     * The work between frames failing (here a listing asked for with a negative limit, which no caller does): the
     * listing's caller gets the failure, the log has it, and the running worker answers the next listing.
     */
    @Test
    void aRoundThatFailsBetweenFramesIsLoggedAndTheWorkerGoesOn() throws Exception {
        assumeTrue(Shell.isRoot(), "the running worker's socket needs root (AF_PACKET); skipped");
        try (PacketSocket loopback = PacketSocket.open("lo", 1, BpfFilter.forVips(new int[0]), -1)) {
            DrWorker running = OneGateServerWorker.on(loopback, new DrStats());
            Thread thread = Thread.ofPlatform().name("lbt-dr-round").start(running);
            try {
                CompletableFuture<ConnectionEntries> failed = running.listConnections(-1);
                assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(IllegalArgumentException.class);
                assertThat(running.listConnections(10).get(10, TimeUnit.SECONDS).listed()).isEmpty();
                assertThat(log.list).singleElement().satisfies(e -> {
                    assertThat(e.getLevel()).isEqualTo(Level.ERROR);
                    assertThat(e.getFormattedMessage()).contains("a DR worker's work between frames failed")
                            .contains("IllegalArgumentException");
                });
            } finally {
                running.stop();
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
            assertThat(thread.isAlive()).as("the worker ended when stopped").isFalse();
        }
    }

    @Test
    void theCounterHasItsName() {
        assertThat(DrStats.name(DrStats.INTERNAL_ERROR)).isEqualTo("dropped-internal-error");
        assertThat(DrStats.reason(DrStats.INTERNAL_ERROR)).isEqualTo("internal-error");
        assertThat(DrStats.kind(DrStats.INTERNAL_ERROR)).isEqualTo(DrStats.Kind.DROPPED);
    }

    private static MemorySegment readOnly(byte[] frame) {
        return MemorySegment.ofArray(frame.clone()).asReadOnly();
    }
}
