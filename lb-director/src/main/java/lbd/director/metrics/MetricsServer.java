package lbd.director.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import lbd.config.model.Endpoint;
import lbd.director.core.DirectorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus endpoint ({@code metrics=HOST:PORT}; off unless set; 127.0.0.1 recommended): the text
 * exposition on {@code http://HOST:PORT/metrics}, served by prometheus-metrics-exporter-httpserver from a
 * registry holding only lbd's collector (no JVM metrics: they are not what an operator of a load balancer
 * watches, and they cost a scrape time).
 */
public final class MetricsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final HTTPServer http;
    private final ExecutorService executor;

    private MetricsServer(HTTPServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    public static MetricsServer start(Endpoint address, MetricsSource source) {
        return start(address, source, List.of());
    }

    /** With further collectors (HA's transitions and state). */
    public static MetricsServer start(Endpoint address, MetricsSource source, List<MultiCollector> extra) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new LbdCollector(source));
        extra.forEach(registry::register);
        // Scrapes are rare and short; virtual threads keep them off the platform threads the data plane uses.
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("lbd-metrics-", 0).factory());
        try {
            HTTPServer http = HTTPServer.builder()
                    .inetAddress(address.address())
                    .port(address.port())
                    .registry(registry)
                    .executorService(executor)
                    .buildAndStart();
            log.info("metrics on http://{}/metrics", new Endpoint(address.address(), http.getPort()));
            return new MetricsServer(http, executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new DirectorException("cannot serve metrics on " + address + ": " + e.getMessage()
                    + " (check the metrics= directive: is the address local and the port free?)", e);
        }
    }

    /** The port really bound (useful with port 0). */
    public int port() {
        return http.getPort();
    }

    @Override
    public void close() {
        http.close();
        executor.shutdownNow();
    }
}
