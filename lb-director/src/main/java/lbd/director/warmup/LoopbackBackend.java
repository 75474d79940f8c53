package lbd.director.warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import lbd.config.model.Endpoint;

/**
 * The warm-up's real server, on a free port of a local (loopback) address: answers each request of {@link WarmUpExchange#REQUEST_BYTES}
 * with {@link WarmUpExchange#REPLY_BYTES}, and closes the connection first after a request that asks it to (as a
 * web server does after a {@code Connection: close} request), else when the client has closed. A fixed set of
 * platform threads, each accepting and serving one connection at a time on blocking sockets: little code of its own
 * for the JIT to compile (no thread per connection, no virtual-thread scheduling), and none of the proxy's, so the
 * proxy's profiles are its own.
 */
final class LoopbackBackend implements AutoCloseable {

    private final ServerSocket listener;
    private final java.util.List<Thread> threads = new java.util.ArrayList<>();

    /** Listens on a free port of {@code local}, with {@code concurrency} connections served at a time. */
    LoopbackBackend(InetAddress local, int concurrency) throws IOException {
        listener = new ServerSocket();
        try {
            listener.bind(new InetSocketAddress(local, 0), 512);
        } catch (IOException e) {
            listener.close();
            throw new IOException("cannot listen on " + local.getHostAddress() + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < concurrency; i++) {
            threads.add(Thread.ofPlatform().daemon().name("lbd-warmup-backend").start(this::acceptAll));
        }
    }

    Endpoint endpoint() {
        return new Endpoint(listener.getInetAddress(), listener.getLocalPort());
    }

    private void acceptAll() {
        while (!listener.isClosed()) {
            try {
                serve(listener.accept());
            } catch (IOException closed) {
                return; // close() ends the warm-up's backend
            }
        }
    }

    private static void serve(Socket connection) {
        try (connection; InputStream in = connection.getInputStream(); OutputStream out = connection.getOutputStream()) {
            connection.setSoTimeout(WarmUpExchange.IO_TIMEOUT_MILLIS);
            byte[] request = new byte[WarmUpExchange.REQUEST_BYTES];
            while (in.readNBytes(request, 0, request.length) == request.length) {
                out.write(WarmUpExchange.REPLY);
                if (request[0] == WarmUpExchange.CLOSE) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client's side counts the failure; the server has nothing to add.
        }
    }

    /** Stops listening and waits for its threads (each ends with its connection, bounded by the I/O timeout). */
    @Override
    public void close() throws IOException {
        listener.close();
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
