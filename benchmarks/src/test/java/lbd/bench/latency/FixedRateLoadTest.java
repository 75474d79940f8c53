package lbd.bench.latency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import lbd.bench.latency.FixedRateLoad.Mode;
import lbd.bench.latency.FixedRateLoad.Result;
import lbd.bench.latency.FixedRateLoad.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The open-loop client against a real (in-test) HTTP server on loopback. No assertion on speed. */
class FixedRateLoadTest {

    private static final long MS = 1_000_000L;

    private static Settings settings(Mode mode, int port, long rate, long warmupMs, long durationMs, int connections,
                                     long timeoutMs) {
        return new Settings(mode, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "/small.txt", rate,
                warmupMs * MS, durationMs * MS, connections, timeoutMs * MS);
    }

    @Test
    @Timeout(30)
    void everyScheduledRequestAfterTheWarmUpIsAnsweredAndRecordedOnce() throws Exception {
        for (Mode mode : Mode.values()) {
            try (TinyHttpServer server = new TinyHttpServer(200, true, 0, 0)) {
                Result r = new FixedRateLoad(settings(mode, server.port(), 500, 200, 1000, 8, 5000)).run();
                // 500/s: 100 requests in the warm-up, 500 measured; each answered by one whole response
                assertThat(r.errors()).as(mode.name()).isZero();
                assertThat(r.warmupErrors()).as(mode.name()).isZero();
                assertThat(r.completed()).as(mode.name()).isEqualTo(500);
                assertThat(r.latencyNanos().getTotalCount()).as(mode.name()).isEqualTo(500);
                assertThat(server.requests()).as(mode.name()).isEqualTo(600);
                assertThat(r.bytes()).as(mode.name()).isEqualTo(600L * server.responseLength());
                assertThat(r.achievedPerSecond()).as(mode.name()).isPositive().isLessThanOrEqualTo(500.0);
            }
        }
    }

    /**
     * The server stops answering for 500 ms once, one second in. At 1,000/s about 500 requests are due during the
     * stall: each waits from its intended time until the server answers again, so hundreds of latencies lie
     * above 100 ms and the p99 is hundreds of ms. A closed-loop client would have sent only its few in-flight
     * requests before the stall and recorded one slow response per connection.
     */
    @Test
    @Timeout(30)
    void aStallCountsForEveryRequestScheduledDuringIt() throws Exception {
        for (Mode mode : Mode.values()) {
            try (TinyHttpServer server = new TinyHttpServer(200, true, 1000, 500)) {
                Result r = new FixedRateLoad(settings(mode, server.port(), 1000, 0, 3000, 4, 10_000)).run();
                assertThat(r.errors()).as(mode.name()).isZero();
                assertThat(r.completed()).as(mode.name()).isEqualTo(3000);
                long slow = r.latencyNanos().getCountBetweenValues(100 * MS, Long.MAX_VALUE / 2);
                assertThat(slow).as(mode.name() + ": requests slower than 100 ms").isGreaterThanOrEqualTo(300);
                assertThat(r.latencyNanos().getValueAtPercentile(99)).as(mode.name() + " p99")
                        .isGreaterThanOrEqualTo(300 * MS);
                assertThat(r.latencyNanos().getMaxValue()).as(mode.name() + " max").isGreaterThanOrEqualTo(450 * MS);
            }
        }
    }

    @Test
    @Timeout(30)
    void failedResponsesAndRefusedConnectionsAreErrorsNotLatencies() throws Exception {
        for (Mode mode : Mode.values()) {
            try (TinyHttpServer server = new TinyHttpServer(503, true, 0, 0)) {
                Result r = new FixedRateLoad(settings(mode, server.port(), 200, 100, 500, 4, 2000)).run();
                assertThat(r.errors()).as(mode.name()).isEqualTo(100);
                assertThat(r.errorsByKind()[FixedRateLoad.ErrorKind.STATUS.ordinal()]).as(mode.name()).isEqualTo(100);
                assertThat(r.warmupErrors()).as(mode.name()).isEqualTo(20);
                assertThat(r.completed()).as(mode.name()).isZero();
                assertThat(r.latencyNanos().getTotalCount()).as(mode.name()).isZero();
            }
        }
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Result refused = new FixedRateLoad(settings(Mode.CONNCLOSE, closedPort, 200, 0, 500, 4, 2000)).run();
        assertThat(refused.errors()).isEqualTo(100);
        assertThat(refused.errorsByKind()[FixedRateLoad.ErrorKind.CONNECT.ordinal()]).isEqualTo(100);
        assertThat(refused.completed()).isZero();
        assertThatThrownBy(() -> new FixedRateLoad(settings(Mode.KEEPALIVE, closedPort, 200, 0, 500, 4, 2000)).run())
                .isInstanceOf(IOException.class);
    }

    @Test
    @Timeout(30)
    void aServerThatNeverAnswersEndsTheRunAtTheTimeoutWithEveryRequestAnError() throws Exception {
        for (Mode mode : Mode.values()) {
            try (TinyHttpServer server = new TinyHttpServer(200, false, 0, 0)) {
                long t0 = System.nanoTime();
                Result r = new FixedRateLoad(settings(mode, server.port(), 100, 0, 1000, 4, 1000)).run();
                long took = System.nanoTime() - t0;
                assertThat(r.errors()).as(mode.name()).isEqualTo(100);
                assertThat(r.errorsByKind()[FixedRateLoad.ErrorKind.TIMEOUT.ordinal()]
                        + r.errorsByKind()[FixedRateLoad.ErrorKind.UNSENT.ordinal()]).as(mode.name()).isEqualTo(100);
                assertThat(r.completed()).as(mode.name()).isZero();
                // bounded: duration + timeout (2 s) plus set-up; a generous margin for a loaded machine
                assertThat(TimeUnit.NANOSECONDS.toMillis(took)).as(mode.name()).isLessThan(10_000);
            }
        }
    }
}
