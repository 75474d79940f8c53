package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.model.Endpoint;
import lbd.director.metrics.MetricsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics endpoint of a real director on loopback: the series fed by the health checks (check latency)
 * and by the NAT event loops (accept counters, connect latency) appear and count the connections made.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsLiveTest {

    private static final int CONNECTIONS = 6;

    @TempDir
    Path dir;

    @Test
    void aScrapeHasCheckLatencyLoopCountersAndConnectLatencyOfARunningDirector() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false);
             MetricsServer metrics = MetricsServer.start(Endpoint.of("127.0.0.1", 0),
                     new DirectorControl(lbd.director, null));
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            String service = "protocol=\"tcp\",service=\"127.0.0.1:" + lbd.vipPort + "\"";
            String vm2 = "{protocol=\"tcp\",server=\"127.0.0.1:" + lbd.backends.port(0) + "\",service=\"127.0.0.1:"
                    + lbd.vipPort + "\"}";
            String vm3 = "{protocol=\"tcp\",server=\"127.0.0.1:" + lbd.backends.port(1) + "\",service=\"127.0.0.1:"
                    + lbd.vipPort + "\"}";
            URI uri = URI.create("http://127.0.0.1:" + metrics.port() + "/metrics");
            // LiveDirector's configuration has no metrics=: its DirectorOps opened no HTTP listener at all.
            assertThat(lbd.ops.metricsPort()).isEqualTo(-1);

            // Both real servers checked (a check latency exists only after the first check) and up before the
            // first client. (Unchecked servers are up too: in service until their first check.)
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                String body = scrape(http, uri);
                return body.contains("lbd_real_server_check_latency_seconds" + vm2 + " ")
                        && body.contains("lbd_real_server_check_latency_seconds" + vm3 + " ")
                        && value(body, "lbd_real_server_up" + vm2) == 1 && value(body, "lbd_real_server_up" + vm3) == 1;
            });
            String before = scrape(http, uri);
            assertThat(value(before, "lbd_loop_accepted_connections_total{loop=\"0\"}")).isZero();
            assertThat(value(before, "lbd_connect_latency_seconds_count{" + service + "}")).isZero();

            for (int i = 0; i < CONNECTIONS; i++) {
                assertThat(lbd.get()).startsWith("This is VM");
            }
            String body = scrape(http, uri);

            // One NAT event loop (LiveDirector starts one): it took every connection.
            assertThat(value(body, "lbd_loop_accepted_connections_total{loop=\"0\"}")).isEqualTo(CONNECTIONS);
            assertThat(value(body, "lbd_loop_scheduled_connections_total{loop=\"0\"}")).isEqualTo(CONNECTIONS);
            assertThat(value(body, "lbd_loop_refused_connections_total{loop=\"0\"}")).isZero();

            assertThat(value(body, "lbd_connect_latency_seconds_count{" + service + "}")).isEqualTo(CONNECTIONS);
            assertThat(value(body, "lbd_connect_latency_seconds_bucket{" + service + ",le=\"+Inf\"}"))
                    .isEqualTo(CONNECTIONS);
            assertThat(value(body, "lbd_connect_latency_seconds_sum{" + service + "}")).isPositive()
                    .as("six loopback connects take well under a minute").isLessThan(60);

            assertThat(value(body, "lbd_real_server_check_latency_seconds" + vm2)).isPositive().isLessThan(2);
            assertThat(value(body, "lbd_real_server_check_latency_seconds" + vm3)).isPositive().isLessThan(2);
            // Every probe in the duration histogram (checkinterval=1: at least the first check of each).
            assertThat(value(body, "lbd_health_check_duration_seconds_count" + vm2)).isGreaterThanOrEqualTo(1);
            assertThat(value(body, "lbd_health_check_duration_seconds_sum" + vm2)).isPositive().isLessThan(60);
            assertThat(body).contains("lbd_build_info{").contains("jvm_memory_used_bytes{area=\"heap\"}");
        }
    }

    /** Reloads counted by result, the last one's time, and the SHA-256 of the file in force. */
    @Test
    void reloadsAreCountedAndTheConfigurationHashFollowsTheFile() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false);
             ConfigReloader reloader = new ConfigReloader(lbd.file, ConfigLoader::load, lbd.director::reload);
             MetricsServer metrics = MetricsServer.start(Endpoint.of("127.0.0.1", 0),
                     new DirectorControl(lbd.director, reloader));
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            URI uri = URI.create("http://127.0.0.1:" + metrics.port() + "/metrics");
            String before = scrape(http, uri);
            assertThat(before).contains("lbd_config_info{sha256=\"" + sha256(lbd.file) + "\"} 1");
            assertThat(value(before, "lbd_config_reloads_total{result=\"success\"}")).isZero();
            assertThat(value(before, "lbd_config_last_reload_successful")).isEqualTo(1);

            Files.writeString(lbd.file, Files.readString(lbd.file) + "# changed\n");
            long start = System.currentTimeMillis() / 1000;
            reloader.reload("test");
            Files.writeString(lbd.file, "virtual=127.0.0.1:1\n\tchektype=on\n");
            assertThatThrownBy(() -> reloader.reload("test")).isInstanceOf(ControlException.class);

            String after = scrape(http, uri);
            assertThat(value(after, "lbd_config_reloads_total{result=\"success\"}")).isEqualTo(1);
            assertThat(value(after, "lbd_config_reloads_total{result=\"failure\"}")).isEqualTo(1);
            assertThat(value(after, "lbd_config_last_reload_successful")).isZero();
            assertThat(value(after, "lbd_config_last_reload_success_timestamp_seconds"))
                    .isBetween((double) start, (double) System.currentTimeMillis() / 1000 + 1);
            // The file in force is the one applied, not the one refused.
            assertThat(after).doesNotContain("sha256=\"" + sha256(lbd.file) + "\"");
            assertThat(after).containsPattern("lbd_config_info\\{sha256=\"[0-9a-f]{64}\"} 1");
        }
    }

    private static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(file)));
    }

    private static String scrape(HttpClient http, URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The value of one series (name and labels exactly as exposed); fails when the series is absent. */
    private static double value(String body, String series) {
        return body.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no series " + series + " in the scrape:\n" + body));
    }
}
