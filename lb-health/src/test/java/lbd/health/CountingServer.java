package lbd.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Accepts connections on loopback, counts them and closes them at once: a healthy server for connect checks, or
 * with {@link #resetting()} one that resets each connection (a server that dies under its HTTP checks).
 */
final class CountingServer implements AutoCloseable {

    private final ServerSocket socket;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    CountingServer() throws IOException {
        this("127.0.0.1", false);
    }

    private CountingServer(String address, boolean reset) throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getByName(address));
        acceptor = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    try (Socket accepted = socket.accept()) {
                        this.accepted.incrementAndGet();
                        if (reset) {
                            accepted.setSoLinger(true, 0);
                        }
                    }
                }
            } catch (IOException e) {
                // closed
            }
        });
    }

    static CountingServer resetting() throws IOException {
        return new CountingServer("127.0.0.1", true);
    }

    /** A healthy server on {@code address} (e.g. ::1). */
    static CountingServer on(String address) throws IOException {
        return new CountingServer(address, false);
    }

    int port() {
        return socket.getLocalPort();
    }

    int accepted() {
        return accepted.get();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        acceptor.interrupt();
    }
}
