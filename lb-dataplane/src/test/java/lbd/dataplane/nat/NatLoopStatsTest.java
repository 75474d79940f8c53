package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.transport.TransportKind;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-loop admission counters and the per-service connect-latency histogram, through a real proxy. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatLoopStatsTest {

    @Test
    void loopsCountAcceptedScheduledAndRefusedAndEstablishedConnectsAreTimed() throws IOException {
        try (NatHarness h = new NatHarness(TransportKind.NIO, 2)) {
            Endpoint a = h.server(LoopbackServer.replyName("A")).endpoint();
            Endpoint dead = LoopbackServer.refusingEndpoint();
            h.publish(h.table(SchedulerKind.RR, a));
            h.start();
            assertThat(h.proxy.loopStats()).extracting(LoopStats::loop).containsExactly(0, 1);

            for (int i = 0; i < 5; i++) {
                assertThat(read(h)).isEqualTo("A");
            }
            h.publish(h.table(SchedulerKind.RR)); // no real server, no fallback: refused at accept
            assertThat(read(h)).isEmpty();
            assertThat(read(h)).isEmpty();
            h.publish(h.table(SchedulerKind.RR, dead)); // scheduled, but the connect fails: not timed
            assertThat(read(h)).isEmpty();

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                List<LoopStats> loops = h.proxy.loopStats();
                assertThat(loops.stream().mapToLong(LoopStats::accepted).sum()).isEqualTo(8);
                assertThat(loops.stream().mapToLong(LoopStats::scheduled).sum()).isEqualTo(6);
                assertThat(loops.stream().mapToLong(LoopStats::refused).sum()).isEqualTo(2);
                assertThat(loops).allSatisfy(l -> assertThat(l.accepted()).isEqualTo(l.scheduled() + l.refused()));
            });

            Histogram latency = h.proxy.connectLatencyMicros().get(h.vip);
            assertThat(latency.getTotalCount()).isEqualTo(5);
            assertThat(latency.getMinValue()).isPositive();
            // Cumulative across reads: a second read without new connects still holds all five.
            assertThat(h.proxy.connectLatencyMicros().get(h.vip).getTotalCount()).isEqualTo(5);
            assertThat(read(h)).isEmpty();
            h.publish(h.table(SchedulerKind.RR, a));
            assertThat(read(h)).isEqualTo("A");
            assertThat(h.proxy.connectLatencyMicros().get(h.vip).getTotalCount()).isEqualTo(6);
        }
    }

    @Test
    void aRecorderClampsAbsurdValuesInsteadOfFailingTheLoop() {
        ConnectLatency latency = new ConnectLatency();
        latency.record(TimeUnit.HOURS.toNanos(2));
        latency.record(0);
        Histogram total = ConnectLatency.newTotal();
        latency.addTo(total);
        assertThat(total.getTotalCount()).isEqualTo(2);
        assertThat(total.getMaxValue()).isLessThanOrEqualTo(total.highestEquivalentValue(ConnectLatency.HIGHEST_MICROS));
    }

    /** One connection: what the proxy sends before closing ("" after a reset or an immediate close). */
    private static String read(NatHarness h) throws IOException {
        try (Socket client = h.connect()) {
            InputStream in = client.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (java.net.SocketException reset) {
            return "";
        }
    }
}
