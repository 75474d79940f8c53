package lbd.director.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.config.model.Endpoint;
import lbd.director.listing.TableView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP endpoint is read-only and self-contained: the page at /, its data at /status.json, the metrics; every
 * write method refused with 405 on every path (lbd has no write action over HTTP, so no authentication either);
 * bound to the configured address only.
 */
@Timeout(20)
class StatusPageTest {

    private static final String STATUS = "{\"schema\":1,\"kind\":\"status\"}\n";

    private final AtomicInteger statusReads = new AtomicInteger();
    private MetricsServer server;
    private HttpClient http;

    @BeforeEach
    void start() {
        server = MetricsServer.start(Endpoint.of("127.0.0.1", 0), () -> TableView.EMPTY, List.of(), () -> {
            statusReads.incrementAndGet();
            return STATUS;
        });
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        server.close();
        http.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, method.equals("GET") || method.equals("HEAD") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("weight=0"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageIsOneSelfContainedFileThatOnlyItsOwnInlineScriptAndStyleMayRun() throws Exception {
        HttpResponse<String> page = send("GET", "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        String html = page.body();
        // No external assets: nothing is loaded by URL (the SVG namespace is a name, not a request).
        assertThat(html).doesNotContainPattern("(?i)\\b(src|href)\\s*=").doesNotContain("url(").doesNotContain("@import")
                .contains("fetch(\"status.json\"");
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy).startsWith("default-src 'none';").contains("connect-src 'self'")
                .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
        for (String tag : List.of("script", "style")) {
            Matcher inline = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(html);
            assertThat(inline.find()).isTrue();
            String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(inline.group(1).getBytes(StandardCharsets.UTF_8)));
            assertThat(policy).contains(tag + "-src 'sha256-" + hash + "'");
        }
        assertThat(send("HEAD", "/").body()).isEmpty();

        HttpResponse<String> status = send("GET", "/status.json");
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(status.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(status.body()).isEqualTo(STATUS);

        assertThat(send("GET", "/admin").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/metrics").body()).contains("lbd_build_info");
    }

    @Test
    void everyWriteMethodIsRefusedOnEveryPath() throws Exception {
        int readsBefore = statusReads.get();
        for (String path : List.of("/", "/status.json", "/metrics", "/anything")) {
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
                HttpResponse<String> answer = send(method, path);
                assertThat(answer.statusCode()).as(method + " " + path).isEqualTo(405);
                assertThat(answer.headers().firstValue("Allow")).hasValue("GET, HEAD");
                assertThat(answer.body()).contains("read-only");
            }
        }
        assertThat(statusReads.get()).as("no write reached the director").isEqualTo(readsBefore);
    }

    /** A client that streams a body without end gets its 405 after lbd read a bounded part of it. */
    @Test
    void anEndlessBodyIsNotReadToItsEnd() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2_000);
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            out.write(("POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("1000\r\n" + "x".repeat(0x1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < (MetricsServer.MAX_BODY / 0x1000) + 1; i++) {
                out.write(chunk); // a little more than lbd reads; the client never ends the body
            }
            out.flush();
            String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(answer).isEqualTo("HTTP/1.1 405");
        }
    }

    @Test
    void itListensOnlyOnTheConfiguredAddress() throws Exception {
        // 127.0.0.2 is this host too (the loopback /8), but not the address the endpoint was given.
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.2", server.port()), 2_000))
                    .isInstanceOf(ConnectException.class);
        }
        assertThat(server.port()).isPositive();
    }

    @Test
    void withoutAStatusSourceOnlyTheMetricsAreServed() throws Exception {
        try (MetricsServer metricsOnly = MetricsServer.start(Endpoint.of("127.0.0.1", 0), () -> TableView.EMPTY)) {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsOnly.port() + "/")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(404);
            assertThat(Map.of("status", page.body())).containsEntry("status", "not found: lbd serves /metrics\n");
        }
    }
}
