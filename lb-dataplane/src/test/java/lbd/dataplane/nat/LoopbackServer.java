package lbd.dataplane.nat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import lbd.config.model.Endpoint;

/** A real server for tests on 127.0.0.1: a blocking socket per connection, served by a virtual thread. */
final class LoopbackServer implements AutoCloseable {

    /** What the server does with one accepted connection; the socket is closed afterwards. */
    @FunctionalInterface
    interface Behaviour {
        void serve(Socket socket) throws IOException;
    }

    // The refusing endpoints' reservations, held until the JVM exits (a few descriptors per test class).
    private static final Queue<Socket> RESERVED = new ConcurrentLinkedQueue<>();

    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    LoopbackServer(Behaviour behaviour) throws IOException {
        this(behaviour, 0);
    }

    /**
     * A server whose accepted sockets have a fixed receive buffer ({@code receiveBufferBytes} > 0; 0 keeps the
     * kernel's autotuning, which on loopback may grow it to tcp_rmem's maximum, tens of MiB).
     */
    LoopbackServer(Behaviour behaviour, int receiveBufferBytes) throws IOException {
        server = new ServerSocket();
        if (receiveBufferBytes > 0) {
            server.setReceiveBufferSize(receiveBufferBytes); // set before bind: accepted sockets inherit it
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2048);
        acceptor = Thread.ofVirtual().name("loopback-server-" + server.getLocalPort()).start(() -> {
            while (!server.isClosed()) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException closed) {
                    return;
                }
                accepted.incrementAndGet();
                open.add(socket);
                Thread.ofVirtual().start(() -> {
                    try (socket) {
                        behaviour.serve(socket);
                    } catch (IOException ignored) {
                        // The test on the other side asserts what it expected to see.
                    } finally {
                        open.remove(socket);
                    }
                });
            }
        });
    }

    /** Writes its name and closes. */
    static Behaviour replyName(String name) {
        return socket -> {
            socket.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            drain(socket.getInputStream());
        };
    }

    /** Sends back everything it receives until the client's FIN, then closes. */
    static Behaviour echo() {
        return socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            in.transferTo(out);
            socket.shutdownOutput();
        };
    }

    static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        while (in.read(buffer) >= 0) {
            // discard
        }
    }

    Endpoint endpoint() {
        return new Endpoint(server.getInetAddress(), server.getLocalPort());
    }

    int accepted() {
        return accepted.get();
    }

    /**
     * A loopback endpoint nothing listens on: connecting to it is refused, for the rest of the test JVM's life.
     * Its port stays bound by a socket that never listens (and without SO_REUSEADDR): a port that was merely free
     * when chosen could be handed out again — to a listener bound later (the harness's VIP, a real server), or as
     * the source port of a connect to it, which Linux then completes as a TCP self-connect. Either way the
     * "refused" server would accept, and a test expecting a reset would wait for its read timeout instead.
     */
    static Endpoint refusingEndpoint() throws IOException {
        Socket reservation = reservePort();
        RESERVED.add(reservation);
        return new Endpoint(reservation.getLocalAddress(), reservation.getLocalPort());
    }

    /**
     * A loopback port bound by a socket that never listens: no other socket gets it until this one is closed (it
     * neither listens nor sets SO_REUSEADDR, so Linux lets nothing else bind it or pick it as a source port).
     */
    static Socket reservePort() throws IOException {
        Socket reservation = new Socket();
        reservation.setReuseAddress(false);
        reservation.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return reservation;
    }

    /**
     * Fills the accept queue of a listener with backlog 1 that never accepts: Linux then drops further SYNs, so a
     * connect to it hangs (the fillers must stay open, and are closed by the caller).
     */
    static void fillAcceptQueue(ServerSocket server, java.util.List<Socket> fillers) {
        for (int i = 0; i < 8; i++) {
            Socket filler = new Socket();
            fillers.add(filler);
            try {
                filler.connect(server.getLocalSocketAddress(), 200);
            } catch (IOException full) {
                return; // the queue is full: SYNs are being dropped
            }
        }
        throw new org.opentest4j.TestAbortedException("could not fill the accept queue of a loopback listener");
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
