package lbd.bench.latency;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 server for the load client's tests, one thread per connection on 127.0.0.1: answers every request
 * with a fixed response, closes after it when the request says {@code Connection: close}; can stall every
 * response once for a while (as a proxy or backend that stops, e.g. for a GC pause), or never answer.
 */
final class TinyHttpServer implements AutoCloseable {

    static final String BODY = "x".repeat(100);

    private final ServerSocket listener;
    private final byte[] response;
    private final boolean answer;
    private final long stallAtRequest;
    private final long stallNanos;
    private final AtomicLong requests = new AtomicLong();
    private volatile long stalledUntil;
    private final ConcurrentHashMap.KeySetView<Socket, Boolean> open = ConcurrentHashMap.newKeySet();

    /**
     * @param status the status of every response
     * @param answer false: read requests and never answer
     * @param stallAtRequest the request (counted from 1, over all connections) from whose arrival every response
     *                       waits {@code stallMillis}; 0 for none
     */
    TinyHttpServer(int status, boolean answer, long stallAtRequest, long stallMillis) throws IOException {
        this.listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        this.response = ("HTTP/1.1 " + status + " X\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY)
                .getBytes(StandardCharsets.US_ASCII);
        this.answer = answer;
        this.stallAtRequest = stallAtRequest;
        this.stallNanos = stallMillis * 1_000_000L;
        Thread acceptor = new Thread(this::accept, "tiny-http-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    long requests() {
        return requests.get();
    }

    int responseLength() {
        return response.length;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                open.add(socket);
                Thread t = new Thread(() -> serve(socket), "tiny-http");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            StringBuilder head = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0) {
                head.append((char) b);
                if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
                    long n = requests.incrementAndGet();
                    if (n == stallAtRequest) {
                        stalledUntil = System.nanoTime() + stallNanos;
                    }
                    long wait = stalledUntil - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                    }
                    if (!answer) {
                        head.setLength(0);
                        continue;
                    }
                    out.write(response);
                    out.flush();
                    if (head.toString().toLowerCase().contains("connection: close")) {
                        return;
                    }
                    head.setLength(0);
                }
            }
        } catch (IOException | InterruptedException ended) {
            // the client went away, or the test closed the server
        } finally {
            open.remove(socket);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
