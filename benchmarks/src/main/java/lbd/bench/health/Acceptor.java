package lbd.bench.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** The benchmark's real servers: listeners on one NIO thread that accept, (answer a minimal HTTP 200 if asked), close. */
final class Acceptor implements Runnable, AutoCloseable {

    private static final byte[] OK = ("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").getBytes();

    final Selector selector;
    final List<Integer> ports = new ArrayList<>();
    final AtomicLong accepted = new AtomicLong();
    private final boolean http;
    private volatile boolean running = true;

    Acceptor(String address, int listeners, boolean http) throws IOException {
        this.http = http;
        selector = Selector.open();
        for (int i = 0; i < listeners; i++) {
            ServerSocketChannel channel = ServerSocketChannel.open();
            channel.bind(new InetSocketAddress(address, 0), 4096);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT);
            ports.add(((InetSocketAddress) channel.getLocalAddress()).getPort());
        }
    }

    @Override
    public void run() {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        try {
            while (running) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        SocketChannel client;
                        while ((client = ((ServerSocketChannel) key.channel()).accept()) != null) {
                            accepted.incrementAndGet();
                            if (http) {
                                client.configureBlocking(false);
                                client.register(selector, SelectionKey.OP_READ);
                            } else {
                                client.close();
                            }
                        }
                    } else if (key.isReadable()) {
                        answer(key, buffer);
                    }
                }
                selector.selectedKeys().clear();
            }
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void answer(SelectionKey key, ByteBuffer buffer) throws IOException {
        SocketChannel client = (SocketChannel) key.channel();
        buffer.clear();
        int n;
        try {
            n = client.read(buffer);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0 || containsBlankLine(buffer)) {
            if (n >= 0) {
                try {
                    client.write(ByteBuffer.wrap(OK));
                } catch (IOException ignored) {
                    // the prober gave up
                }
            }
            key.cancel();
            client.close();
        }
    }

    private static boolean containsBlankLine(ByteBuffer b) {
        for (int i = 3; i < b.position(); i++) {
            if (b.get(i - 3) == '\r' && b.get(i - 2) == '\n' && b.get(i - 1) == '\r' && b.get(i) == '\n') {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        running = false; // the acceptor thread closes its channels on its way out
        selector.wakeup();
    }
}
