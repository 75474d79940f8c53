package lbd.director.demo;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * The two web servers of the field guide, on loopback: each answers every GET with "This is VMn".
 * Ports are picked by the kernel so that the demo never collides with anything already running.
 */
public final class DemoBackends implements AutoCloseable {

    private final List<HttpServer> servers = new ArrayList<>();

    public static DemoBackends start(String... names) throws IOException {
        DemoBackends backends = new DemoBackends();
        try {
            for (String name : names) {
                backends.servers.add(startOne(name));
            }
        } catch (IOException | RuntimeException e) {
            backends.close();
            throw e;
        }
        return backends;
    }

    private static HttpServer startOne(String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        byte[] body = ("This is " + name + "\n").getBytes(StandardCharsets.US_ASCII);
        server.createContext("/", exchange -> {
            try (exchange; OutputStream out = exchange.getResponseBody()) {
                exchange.getResponseHeaders().set("Content-Type", "text/plain");
                boolean head = "HEAD".equals(exchange.getRequestMethod());
                exchange.sendResponseHeaders(200, head ? -1 : body.length);
                if (!head) {
                    out.write(body);
                }
            }
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return server;
    }

    /** The port of the n-th backend (in the order given to {@link #start}). */
    public int port(int n) {
        return servers.get(n).getAddress().getPort();
    }

    /** Stops the n-th backend: connections to its port are refused from now on (a real server that died). */
    public void stop(int n) {
        servers.get(n).stop(0);
    }

    @Override
    public void close() {
        for (HttpServer s : servers) {
            s.stop(0);
        }
        servers.clear();
    }
}
