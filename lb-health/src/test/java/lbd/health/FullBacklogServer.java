package lbd.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback listener whose handshakes never complete: listen(backlog 1), never accept, and fill the accept
 * queue; the kernel then drops every further SYN, so a connect to it hangs until the prober's own timeout.
 */
final class FullBacklogServer implements AutoCloseable {

    private final ServerSocket socket;
    private final List<Socket> fillers = new ArrayList<>();

    FullBacklogServer() throws IOException {
        socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        InetSocketAddress address = new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
        for (int i = 0; i < 16; i++) {
            Socket filler = new Socket();
            try {
                filler.connect(address, 300);
                fillers.add(filler);
            } catch (SocketTimeoutException e) {
                filler.close();
                return; // the queue is full: SYNs are dropped from now on
            }
        }
        close();
        throw new IllegalStateException("could not fill the accept queue of a backlog-1 listener on loopback");
    }

    int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket filler : fillers) {
            filler.close();
        }
        socket.close();
    }
}
