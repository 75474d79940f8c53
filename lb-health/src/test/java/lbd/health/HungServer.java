package lbd.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Accepts connections on loopback and never answers: the server that hangs a check until its timeout. */
final class HungServer implements AutoCloseable {

    private final ServerSocket socket;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    HungServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        acceptor = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    held.add(socket.accept());
                }
            } catch (IOException e) {
                // closed
            }
        });
    }

    int port() {
        return socket.getLocalPort();
    }

    int accepted() {
        return held.size();
    }

    /** Whether the prober closed the {@code index}th accepted connection within {@code within} (what it sent is read and dropped). */
    boolean closedByPeer(int index, java.time.Duration within) throws IOException {
        Socket s = held.get(index);
        s.setSoTimeout((int) within.toMillis());
        try {
            while (s.getInputStream().read() >= 0) {
                // what the probe sent: not an answer to anything
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the peer
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : held) {
            s.close();
        }
        acceptor.interrupt();
    }
}
