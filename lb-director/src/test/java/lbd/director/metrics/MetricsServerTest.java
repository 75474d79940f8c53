package lbd.director.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lbd.director.ha.HaCollector;
import lbd.director.ha.HaRole;
import lbd.director.ha.HaStatus;
import lbd.director.ha.PeerState;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.RealServerStats;
import lbd.director.listing.DestinationView;
import lbd.director.listing.HeldOutView;
import lbd.director.listing.Rates;
import lbd.director.listing.ServiceView;
import lbd.director.listing.TableView;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class MetricsServerTest {

    private static final VirtualServiceKey VIP = new VirtualServiceKey(Protocol.TCP, Endpoint.of("127.0.0.1", 8080));

    private static final class Source implements MetricsSource {
        @Override
        public TableView view() {
            return new TableView(List.of(new ServiceView(VIP, "wrr", OptionalInt.empty(), Optional.empty(),
                    new RealServerStats(3, 1, 42, 1000, 9000, 10, 12), Rates.ZERO,
                    List.of(new DestinationView(Endpoint.of("127.0.0.2", 80), ForwardingMethod.MASQ, 2,
                            new RealServerStats(3, 1, 42, 1000, 9000, 10, 12), Rates.ZERO, "", true)),
                    List.of(new HeldOutView(Endpoint.of("127.0.0.3", 80), "connect: refused")))));
        }

        @Override
        public List<LoopCounters> loops() {
            return List.of(new LoopCounters(0, 40, 39, 1, 3, 5, 7), new LoopCounters(1, 2, 2, 0, 0, 0, 0));
        }

        @Override
        public Map<RealServerKey, Duration> checkLatency() {
            return Map.of(new RealServerKey(VIP, Endpoint.of("127.0.0.2", 80)), Duration.ofMillis(3));
        }

        @Override
        public Map<VirtualServiceKey, Histogram> connectLatencyMicros() {
            Histogram h = new Histogram(3);
            h.recordValue(200);      // 200 µs
            h.recordValue(200);
            h.recordValue(30_000);   // 30 ms
            return Map.of(VIP, h);
        }

        @Override
        public Map<String, Long> directRoutingFrames() {
            return Map.of("received", 30L, "frames-tcp", 25L, "forwarded", 17L, "dropped-no-service", 4L,
                    "frames-truncated", 2L, "arp-replies-sent", 3L, "flows-half-open-evicted", 6L);
        }

        @Override
        public List<lbd.dataplane.dr.FlowOccupancy> directRoutingFlows() {
            return List.of(new lbd.dataplane.dr.FlowOccupancy(0, 12, 65536));
        }

        @Override
        public Map<RealServerKey, Boolean> directRoutingNeighbours() {
            return Map.of(new RealServerKey(VIP, Endpoint.of("127.0.0.2", 80)), true,
                    new RealServerKey(VIP, Endpoint.of("127.0.0.3", 80)), false);
        }

        @Override
        public Map<RealServerKey, lbd.health.CheckDurations> checkDurations() {
            lbd.health.CheckDurations d = new lbd.health.CheckDurations();
            d.record(Duration.ofMillis(2).toNanos());
            d.record(Duration.ofMillis(40).toNanos());
            return Map.of(new RealServerKey(VIP, Endpoint.of("127.0.0.2", 80)), d);
        }

        @Override
        public Optional<SplicePipes> splicePipes() {
            return Optional.of(new SplicePipes(5, 87));
        }

        @Override
        public Optional<ReloadCounters> reloads() {
            return Optional.of(new ReloadCounters(4, 1, 1_767_600_000_000L, true));
        }

        @Override
        public String configSha256() {
            return "ab".repeat(32);
        }
    }

    @Test
    void aScrapeOnLoopbackHasTheServiceServerLoopAndLatencySeries() throws Exception {
        try (MetricsServer server = MetricsServer.start(Endpoint.of("127.0.0.1", 0), new Source());
             HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            String labels = "{protocol=\"tcp\",server=\"127.0.0.2:80\",service=\"127.0.0.1:8080\"}";
            assertThat(response.body())
                    .contains("lbd_real_server_connections_total" + labels + " 42")
                    .contains("lbd_real_server_active_connections" + labels + " 3")
                    .contains("lbd_real_server_inactive_connections" + labels + " 1")
                    .contains("lbd_real_server_in_bytes_total" + labels + " 1000")
                    .contains("lbd_real_server_out_bytes_total" + labels + " 9000")
                    .contains("lbd_real_server_weight" + labels + " 2")
                    .contains("lbd_real_server_up" + labels + " 1")
                    .contains("lbd_real_server_up{protocol=\"tcp\",server=\"127.0.0.3:80\",service=\"127.0.0.1:8080\"} 0")
                    .contains("lbd_real_server_check_latency_seconds" + labels + " 0.003")
                    .contains("lbd_service_connections_total{protocol=\"tcp\",service=\"127.0.0.1:8080\"} 42")
                    .contains("lbd_loop_accepted_connections_total{loop=\"0\"} 40")
                    .contains("lbd_nat_splice_pipes 5")
                    .contains("lbd_nat_splice_pipes_limit 87")
                    .contains("lbd_loop_refused_connections_total{loop=\"0\"} 1")
                    .contains("lbd_loop_out_of_resources_total{loop=\"0\"} 3")
                    .contains("lbd_loop_connection_ceiling_reached_total{loop=\"0\"} 5")
                    .contains("lbd_loop_dropped_datagrams_total{loop=\"0\"} 7")
                    .contains("lbd_dr_frames_received_total 30")
                    .contains("lbd_dr_frames_forwarded_total 17")
                    .contains("lbd_dr_frames_parsed_total{kind=\"tcp\"} 25")
                    .contains("lbd_dr_frames_dropped_total{reason=\"no-service\"} 4")
                    .contains("lbd_dr_frames_dropped_total{reason=\"truncated\"} 2")
                    .contains("lbd_dr_frames_dropped_total{reason=\"flow-table-full\"} 0")
                    .contains("lbd_dr_replies_sent_total{kind=\"arp\"} 3")
                    .contains("lbd_dr_flows_half_open_evicted_total 6")
                    .contains("lbd_dr_flow_table_entries{worker=\"0\"} 12")
                    .contains("lbd_dr_flow_table_capacity{worker=\"0\"} 65536")
                    .contains("lbd_dr_neighbour_resolved" + labels + " 1")
                    .contains("lbd_dr_neighbour_resolved{protocol=\"tcp\",server=\"127.0.0.3:80\",service=\"127.0.0.1:8080\"} 0")
                    .contains("lbd_health_check_duration_seconds_bucket{protocol=\"tcp\",server=\"127.0.0.2:80\",service=\"127.0.0.1:8080\",le=\"0.0025\"} 1")
                    .contains("lbd_health_check_duration_seconds_bucket{protocol=\"tcp\",server=\"127.0.0.2:80\",service=\"127.0.0.1:8080\",le=\"0.05\"} 2")
                    .contains("lbd_health_check_duration_seconds_count" + labels + " 2")
                    .contains("lbd_config_reloads_total{result=\"success\"} 4")
                    .contains("lbd_config_reloads_total{result=\"failure\"} 1")
                    .contains("lbd_config_last_reload_successful 1")
                    .contains("lbd_config_last_reload_success_timestamp_seconds 1.7676E9")
                    .contains("lbd_config_info{sha256=\"" + "ab".repeat(32) + "\"} 1")
                    .containsPattern("lbd_build_info\\{java_version=\"[^\"]+\",version=\"0\\.1\\.0\"} 1")
                    .contains("jvm_memory_used_bytes{area=\"heap\"}")
                    .contains("jvm_threads_current")
                    .contains("process_open_fds")
                    .contains("process_resident_memory_bytes")
                    .contains("lbd_connect_latency_seconds_bucket{protocol=\"tcp\",service=\"127.0.0.1:8080\",le=\"2.5E-4\"} 2")
                    .contains("lbd_connect_latency_seconds_bucket{protocol=\"tcp\",service=\"127.0.0.1:8080\",le=\"0.025\"} 2")
                    .contains("lbd_connect_latency_seconds_bucket{protocol=\"tcp\",service=\"127.0.0.1:8080\",le=\"0.05\"} 3")
                    .contains("lbd_connect_latency_seconds_count{protocol=\"tcp\",service=\"127.0.0.1:8080\"} 3");
        }
    }

    /**
     * packaging/grafana/lbd-dashboard.json is valid JSON and every series its queries name is one lbd exposes (a
     * renamed metric would leave a panel silently empty).
     */
    @Test
    void theSampleDashboardQueriesOnlySeriesThatExist() throws Exception {
        Path dashboard = Path.of("..", "packaging", "grafana", "lbd-dashboard.json");
        JsonNode root = new ObjectMapper().readTree(dashboard.toFile());
        List<String> exprs = new ArrayList<>();
        root.findValues("expr").forEach(e -> exprs.add(e.asText()));
        assertThat(exprs).hasSizeGreaterThan(20);

        HaStatus ha = new HaStatus("lvs1", HaRole.ACTIVE, java.time.Instant.EPOCH, "start", "lvs2", PeerState.ALIVE,
                HaRole.BACKUP, 1, 0);
        try (MetricsServer server = MetricsServer.start(Endpoint.of("127.0.0.1", 0), new Source(),
                List.of(new HaCollector(() -> ha)));
             HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            String scrape = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Set<String> exposed = new HashSet<>();
            Matcher series = Pattern.compile("(?m)^([a-z_:][a-z0-9_:]*)[{ ]").matcher(scrape);
            while (series.find()) {
                exposed.add(series.group(1));
            }
            Matcher named = Pattern.compile("\\b((?:lbd|jvm|process)_[a-z0-9_]+)").matcher(String.join("\n", exprs));
            Set<String> queried = new TreeSet<>();
            while (named.find()) {
                queried.add(named.group(1));
            }
            assertThat(queried).hasSizeGreaterThan(25);
            assertThat(queried).allSatisfy(name -> assertThat(exposed).as("exposed series").contains(name));
        }
    }

    @Test
    void aHundredScrapesAtOnceAreAllAnswered() throws Exception {
        int scrapes = 100;
        try (MetricsServer server = MetricsServer.start(Endpoint.of("127.0.0.1", 0), new Source());
             ExecutorService scrapers = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            for (int i = 0; i < scrapes; i++) {
                scrapers.execute(() -> {
                    try {
                        go.await();
                        String response = scrape(server.port());
                        if (!response.startsWith("HTTP/1.1 200") || !response.contains("lbd_real_server_up")) {
                            failures.add(response.lines().findFirst().orElse("(empty response)"));
                        }
                    } catch (IOException | InterruptedException e) {
                        failures.add(e.toString());
                    }
                });
            }
            go.countDown();
            scrapers.shutdown();
            assertThat(scrapers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).isEmpty();
        }
    }

    /**
     * One scrape over a plain socket, with Prometheus's default scrape timeout (10 s) on connect and on each read:
     * a connection the kernel dropped from a full backlog is only retried by TCP after seconds, which a scraper
     * counts as a failed scrape.
     */
    private static String scrape(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The kernel's own limit on the endpoint's listen queue, as {@code ss} reports it (Send-Q of a listening
     * socket): whether a burst of scrapes is dropped otherwise depends on how fast the acceptor happens to run.
     */
    @Test
    void theKernelQueuesAtLeastAHundredConnectionsForTheEndpoint() throws Exception {
        try (MetricsServer server = MetricsServer.start(Endpoint.of("127.0.0.1", 0), new Source())) {
            Process ss;
            try {
                ss = new ProcessBuilder("ss", "-Hltn", "sport = :" + server.port()).redirectErrorStream(true).start();
            } catch (IOException e) {
                Assumptions.abort("ss (iproute2) is not installed: " + e.getMessage());
                return;
            }
            String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(ss.waitFor()).isZero();
            // LISTEN  0  4096  127.0.0.1:PORT  0.0.0.0:*
            String[] columns = out.split("\\s+");
            assertThat(columns[0]).as(out).isEqualTo("LISTEN");
            assertThat(Integer.parseInt(columns[2])).as(out).isGreaterThanOrEqualTo(100);
        }
    }
}
