package lbd.director.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real server for the chaos tests, run as a process of its own so that it can be killed with SIGKILL, stopped
 * with SIGSTOP, and hold thousands of connections under a descriptor limit of its own. It answers every
 * HTTP/1.0 request with "This is NAME" and closes, one virtual thread per connection.
 *
 * <p>Faults it plays on a line on its standard input: {@code hang} (accept and read requests but never answer
 * them; health checks included), {@code release} (close every connection held by a hang without an answer,
 * print "released N", answer again), {@code slow MILLIS} (answer each request that late), {@code unlisten}
 * (close the listening socket: connects are refused; open connections go on) and {@code listen} (listen
 * again). It prints "ready" once it listens and "ok" after each other command.
 *
 * <p>Usage: {@code ChaosRealServer PORT NAME [ADDRESS]} (default: the loopback address)
 */
public final class ChaosRealServer {

    private static volatile boolean hanging;
    private static volatile long delayMillis;
    private static final Set<Socket> HELD = ConcurrentHashMap.newKeySet();

    private ChaosRealServer() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        byte[] answer = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nThis is " + args[1] + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        InetAddress address = args.length > 2 ? InetAddress.getByName(args[2]) : InetAddress.getLoopbackAddress();
        Listener server = listen(port, address, answer);
        System.out.println("ready");
        System.out.flush();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        for (String line; (line = commands.readLine()) != null; ) {
            String[] words = line.strip().split(" ");
            switch (words[0]) {
                case "hang" -> {
                    hanging = true;
                    System.out.println("ok");
                }
                case "release" -> {
                    hanging = false;
                    int n = 0;
                    for (Socket s : HELD) {
                        HELD.remove(s);
                        closeQuietly(s);
                        n++;
                    }
                    System.out.println("released " + n);
                }
                case "unlisten" -> {
                    server.close();
                    System.out.println("ok");
                }
                case "listen" -> {
                    server = listen(port, address, answer);
                    System.out.println("ok");
                }
                case "slow" -> {
                    delayMillis = Long.parseLong(words[1]);
                    System.out.println("ok");
                }
                default -> System.out.println("unknown command: " + line);
            }
            System.out.flush();
        }
        System.exit(0); // the test closed our standard input: it is done with us
    }

    /** A listening socket and the platform thread that accepts on it. */
    private record Listener(ServerSocket socket, Thread acceptor) {

        /**
         * Closes the listening socket, and returns only once the kernel has closed it, so that "unlisten" is over
         * when its "ok" is printed. {@link ServerSocket#close} alone returns before that: the acceptor, blocked in
         * accept(2), still holds the socket until it is woken, and until then the kernel completes handshakes into
         * its queue, which it resets at the real close (seen: a request started 3 ms after the "ok" failed with a
         * reset, on a loaded machine).
         */
        void close() throws IOException {
            socket.close();
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the listener closed", e);
            }
        }
    }

    /** Listens on {@code address:port} and serves each connection on a virtual thread, until closed. */
    private static Listener listen(int port, InetAddress address, byte[] answer) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(address, port), 16_384);
        Thread acceptor = Thread.ofPlatform().name("accept").start(() -> {
            while (true) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s, answer));
                } catch (IOException e) {
                    if (server.isClosed()) {
                        return; // "unlisten"
                    }
                    System.out.println("accept failed: " + e);
                    System.exit(3);
                }
            }
        });
        return new Listener(server, acceptor);
    }

    private static void serve(Socket s, byte[] answer) {
        try {
            InputStream in = s.getInputStream();
            // Read up to the end of the request's header (or of the connection).
            int matched = 0;
            for (int b; matched < 4 && (b = in.read()) >= 0; ) {
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            if (matched < 4) {
                closeQuietly(s);
                return;
            }
            if (hanging) {
                HELD.add(s); // answered never; closed on "release"
                return;
            }
            long delay = delayMillis;
            if (delay > 0) {
                Thread.sleep(delay);
            }
            s.getOutputStream().write(answer);
            closeQuietly(s);
        } catch (IOException | InterruptedException gone) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
