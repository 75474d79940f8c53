package lbd.director.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import lbd.config.model.Endpoint;
import lbd.director.core.DirectorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint ({@code metrics=HOST:PORT}; off unless set; bound to that address only, 127.0.0.1
 * recommended): the status page on {@code /} (with its data on {@code /status.json}) and the Prometheus text
 * exposition on {@code http://HOST:PORT/metrics}, rendered by prometheus-metrics-exporter-httpserver's handler from a
 * registry holding lbd's collector and the Prometheus Java client's JVM and process instrumentation (memory, GC,
 * threads, CPU, open files: what tells a leak or a GC storm on the director from a load balancing problem).
 *
 * <p>The JDK server is created here rather than through that library's {@code HTTPServer}, which listens with a
 * backlog of 3: a burst of scrapes (several Prometheus servers, federation, a dashboard's refresh) overflowed
 * it and the dropped SYNs timed out on the scrapers' side.
 */
public final class MetricsServer implements AutoCloseable {

    /**
     * Connections the kernel may queue before lbd accepts them. A backlog only caps the queue (it reserves no
     * memory), so it is the kernel's usual maximum; Linux lowers it to net.core.somaxconn if that is smaller.
     */
    static final int BACKLOG = 4096;

    /** The most of a request body lbd reads before it answers (and then closes). */
    static final int MAX_BODY = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final HttpServer http;
    private final ExecutorService executor;

    private MetricsServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    public static MetricsServer start(Endpoint address, MetricsSource source) {
        return start(address, source, List.of());
    }

    /** With further collectors (HA's transitions and state), without the status page. */
    public static MetricsServer start(Endpoint address, MetricsSource source, List<MultiCollector> extra) {
        return start(address, source, extra, null);
    }

    /**
     * With further collectors and, when {@code statusJson} is not null, the status page at {@code /}, which polls
     * {@code /status.json} (what {@code statusJson} returns: JsonListing's "status" kind).
     */
    public static MetricsServer start(Endpoint address, MetricsSource source, List<MultiCollector> extra,
                                      Supplier<String> statusJson) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new LbdCollector(source));
        extra.forEach(registry::register);
        JvmMetrics.builder().register(registry);
        // Scrapes are rare and short; virtual threads keep them off the platform threads the data plane uses.
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("lbd-metrics-", 0).factory());
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(address.address(), address.port()), BACKLOG);
            MetricsHandler metrics = new MetricsHandler(registry);
            http.createContext("/metrics", exchange -> readOnly(exchange, () -> metrics.handle(exchange)));
            if (statusJson != null) {
                http.createContext("/status.json", exchange -> readOnly(exchange,
                        () -> StatusPage.json(exchange, statusJson)));
            }
            // "/" is the context of every path no other context takes: the page at "/" itself, 404 elsewhere.
            http.createContext("/", exchange -> readOnly(exchange, () -> StatusPage.page(exchange, statusJson != null)));
            http.setExecutor(executor);
            http.start();
            log.info("metrics on http://{}/metrics{}", new Endpoint(address.address(), http.getAddress().getPort()),
                    statusJson == null ? "" : ", status page on /");
            return new MetricsServer(http, executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new DirectorException("cannot serve metrics on " + address + ": " + e.getMessage()
                    + " (check the metrics= directive: is the address local and the port free?)", e);
        }
    }

    private interface Answer {
        void send() throws IOException;
    }

    /**
     * Every path is read-only: GET and HEAD are answered, any other method (a write) gets 405 with {@code Allow:
     * GET, HEAD}. lbd has no write action over HTTP, so none needs authentication; lbadm on the owner-only control
     * socket is the way to change a running lbd. What the client sent is read and discarded (at most {@value
     * #MAX_BODY} bytes: no request here has a body, and a client streaming one must not hold a thread), then the
     * exchange is closed.
     */
    private static void readOnly(HttpExchange exchange, Answer answer) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            body.readNBytes((int) Math.min(MAX_BODY, Math.max(0, contentLength(exchange)))); // stops at its end
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                StatusPage.text(exchange, 405, "lbd's HTTP endpoint is read-only (" + method + " refused): change a"
                        + " running lbd with lbadm on its control socket\n");
                return;
            }
            answer.send();
        }
    }

    /** The request's Content-Length; 0 when absent, MAX_BODY when unreadable or chunked (read what comes, bounded). */
    private static long contentLength(HttpExchange exchange) {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length == null) {
            return exchange.getRequestHeaders().containsKey("Transfer-Encoding") ? MAX_BODY : 0;
        }
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return MAX_BODY;
        }
    }

    /** The port really bound (useful with port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
