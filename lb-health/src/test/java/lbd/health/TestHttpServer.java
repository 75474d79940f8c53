package lbd.health;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** A loopback HTTP server whose answer a test can change while checks run; it records what it was asked. */
class TestHttpServer implements AutoCloseable {

    record Answer(int status, String body) {
    }

    final HttpServer server;
    final AtomicReference<Answer> answer = new AtomicReference<>(new Answer(200, "found"));
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger failuresServed = new AtomicInteger();
    final ConcurrentLinkedQueue<String> requestLines = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> hosts = new ConcurrentLinkedQueue<>();

    TestHttpServer() throws IOException {
        this(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50));
    }

    TestHttpServer(HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    void answer(int status, String body) {
        answer.set(new Answer(status, body));
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        requestLines.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getProtocol());
        hosts.add(String.valueOf(exchange.getRequestHeaders().getFirst("Host")));
        Answer a = answer.get();
        if (a.status() >= 400) {
            failuresServed.incrementAndGet();
        }
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(a.status(), -1);
        } else {
            exchange.sendResponseHeaders(a.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
