package lbd.director.warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The warm-up's clients: {@code concurrency} platform threads on blocking sockets (as the real server, little code
 * of their own for the JIT), each opening one connection after the other to the
 * private VIP until {@code maxConnections} have been opened in all or the deadline passed, or one exchange failed.
 * Three connections of four carry one request that the real server answers and closes after (the proxy's path for
 * a server that closes first, as with {@code Connection: close}); the fourth carries {@link #KEEP_ALIVE_REQUESTS}
 * requests and the client closes first. Most connections end only when the client has read its end of stream, so
 * the proxy's whole close path has run for them; one in sixteen closes as soon as it has its reply, one in
 * sixteen resets, and one in {@link #GIVE_UP_EVERY} sends its request and closes without waiting for the reply, as
 * real clients do — paths the proxy takes in service, which the JIT would otherwise compile as never taken.
 */
final class LoopbackClients {

    static final int KEEP_ALIVE_REQUESTS = 8;
    /**
     * Connection {@code n} with {@code n % GIVE_UP_EVERY == GIVE_UP_AT} gives up: its request, then a close without
     * the reply (counted as a connection, not as a request).
     */
    static final int GIVE_UP_EVERY = 64;
    static final int GIVE_UP_AT = 13;

    private volatile InetSocketAddress vip;
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopped;

    LoopbackClients(InetSocketAddress vip) {
        this.vip = vip;
    }

    /**
     * From now on connect to {@code next}: the VIP connected to so far is about to stop listening. A connection to it
     * that fails from now on (refused, or reset from its accept queue) is not a failure of the warm-up.
     */
    void retarget(InetSocketAddress next) {
        vip = next;
    }

    /** Starts the clients (once). */
    void start(int concurrency, int maxConnections, long deadlineNanos) {
        for (int i = 0; i < concurrency; i++) {
            threads.add(Thread.ofPlatform().daemon().name("lbd-warmup-client").start(() -> connectUntil(maxConnections,
                    deadlineNanos)));
        }
    }

    /** Every client has stopped: at the connection bound, the deadline, a failure or {@link #stop}. */
    boolean finished() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** Asks the clients to open no further connection; those under way complete. */
    void stop() {
        stopped = true;
    }

    /** Waits until every client has stopped (each exchange is bounded by its I/O timeout). */
    void awaitStopped() throws InterruptedException {
        for (Thread client : threads) {
            client.join();
        }
    }

    private void connectUntil(int maxConnections, long deadlineNanos) {
        byte[] close = WarmUpExchange.request(WarmUpExchange.CLOSE);
        byte[] keep = WarmUpExchange.request(WarmUpExchange.KEEP);
        byte[] reply = new byte[WarmUpExchange.REPLY_BYTES];
        while (!stopped && failure.get() == null && System.nanoTime() - deadlineNanos < 0) {
            int n = opened.getAndIncrement();
            if (n >= maxConnections) {
                return;
            }
            // A connection to a listener retired meanwhile (refused, or reset from its accept queue) is made again
            // to the new one: the bound counts connections that completed, whatever listener took them.
            while (true) {
                InetSocketAddress target = vip;
                try {
                    requests.addAndGet(connection(n, target, close, keep, reply));
                    completed.incrementAndGet();
                    break;
                } catch (IOException e) {
                    if (target != vip) {
                        continue;
                    }
                    failure.compareAndSet(null, "connection " + (n + 1) + " through the private proxy: "
                            + e.getMessage());
                    return;
                }
            }
        }
    }

    /** Connection {@code n} to {@code target}, its exchanges and its close; returns the requests it carried. */
    private static int connection(int n, InetSocketAddress target, byte[] close, byte[] keep, byte[] reply)
            throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(target, WarmUpExchange.IO_TIMEOUT_MILLIS);
            socket.setSoTimeout(WarmUpExchange.IO_TIMEOUT_MILLIS);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            if (n % GIVE_UP_EVERY == GIVE_UP_AT) {
                // As a client that gives up (wrk closing what is in flight at the end of its run): the proxy may
                // have the client's end of stream before it has connected to the real server, a path it takes
                // in service and whose classes would otherwise be loaded then, in compiled code.
                out.write(close);
                return 0;
            }
            int carried = 0;
            if (n % 4 == 3) {
                for (int i = 0; i < KEEP_ALIVE_REQUESTS; i++) {
                    carried += exchange(in, out, keep, reply);
                }
                socket.shutdownOutput(); // the client closes first: the proxy passes the FIN on
            } else {
                carried += exchange(in, out, close, reply); // the real server closes first
            }
            switch (n % 16) {
                // As an HTTP client that has its whole reply: it closes at once, while the proxy may still be
                // passing the server's FIN on (the proxy's shutdown then finds the client gone).
                case 5 -> { }
                // The same with a reset (SO_LINGER 0), as a client that gives up does.
                case 9 -> socket.setSoLinger(true, 0);
                default -> {
                    if (in.read() != -1) {
                        throw new IOException("more bytes than the reply");
                    }
                }
            }
            return carried;
        }
    }

    /** One request and its whole reply; returns 1. */
    private static int exchange(InputStream in, OutputStream out, byte[] request, byte[] reply) throws IOException {
        out.write(request);
        if (in.readNBytes(reply, 0, reply.length) != reply.length) {
            throw new IOException("the reply ended early");
        }
        return 1;
    }

    /** Connections begun (or about to be), up to the bound given to {@link #start}, and one more per client. */
    int opened() {
        return opened.get();
    }

    /** Connections whose exchange and close completed. */
    int completed() {
        return completed.get();
    }

    long requests() {
        return requests.get();
    }

    /** The first failed exchange, or null. */
    String failure() {
        return failure.get();
    }
}
