package lbd.health;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A loopback server that writes one fixed greeting to each connection and closes it after the client's first
 * line (or its close): the misbehaving peer no Debian daemon can be configured to be.
 */
final class ScriptedServer implements AutoCloseable {

    private final ServerSocket socket;
    private final Thread acceptor;

    ScriptedServer(String greeting) throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        byte[] bytes = greeting.getBytes(StandardCharsets.US_ASCII);
        acceptor = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    Socket s = socket.accept();
                    Thread.ofVirtual().start(() -> answer(s, bytes));
                }
            } catch (IOException e) {
                // closed
            }
        });
    }

    private static void answer(Socket s, byte[] greeting) {
        try (s) {
            OutputStream out = s.getOutputStream();
            out.write(greeting);
            out.flush();
            s.setSoTimeout(5000);
            s.getInputStream().read();
        } catch (IOException e) {
            // the client went away
        }
    }

    int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
