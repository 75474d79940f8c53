import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed-rate UDP request/reply load generator and echo server for benchmarks/peers/udp.sh (no Debian
 * package offers a fixed-rate UDP client with latency percentiles: dnsperf is not in Debian 12).
 *
 * <pre>
 *   java UdpLoad.java echo PORT                          echo server on 127.0.0.1:PORT (one thread)
 *   java UdpLoad.java load HOST:PORT RATE SECONDS FLOWS  RATE requests/s for SECONDS, spread over FLOWS client
 *                                                        sockets (source ports); prints one result line
 * </pre>
 *
 * Open loop: each request is due at a fixed time and carries that time; latency is reply time minus due time, so a
 * sender that falls behind counts its delay (no coordinated omission). Replies still missing 1 s after the last
 * request are lost.
 */
public final class UdpLoad {

    private static final int PAYLOAD = 64;

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "echo" -> echo(Integer.parseInt(args[1]));
            case "load" -> load(args[1], Long.parseLong(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
            default -> {
                System.err.println("usage: java UdpLoad.java echo PORT | load HOST:PORT RATE SECONDS FLOWS");
                System.exit(2);
            }
        }
    }

    private static void echo(int port) throws IOException {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            ch.bind(new InetSocketAddress("127.0.0.1", port));
            ByteBuffer buf = ByteBuffer.allocateDirect(65_536);
            while (true) {
                buf.clear();
                var from = ch.receive(buf);
                buf.flip();
                ch.send(buf, from);
            }
        }
    }

    private static void load(String target, long rate, int seconds, int flows) throws Exception {
        int colon = target.lastIndexOf(':');
        InetSocketAddress to = new InetSocketAddress(target.substring(0, colon),
                Integer.parseInt(target.substring(colon + 1)));
        DatagramChannel[] sockets = new DatagramChannel[flows];
        Selector selector = Selector.open();
        for (int i = 0; i < flows; i++) {
            sockets[i] = DatagramChannel.open();
            sockets[i].setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            sockets[i].connect(to);
            sockets[i].configureBlocking(false);
            sockets[i].register(selector, SelectionKey.OP_READ);
        }
        int total = (int) (rate * seconds);
        long[] latencies = new long[total];
        AtomicLong received = new AtomicLong();
        long intervalNanos = 1_000_000_000L / rate;
        long start = System.nanoTime() + 100_000_000L;
        Thread receiver = Thread.ofPlatform().start(() -> {
            ByteBuffer in = ByteBuffer.allocateDirect(65_536);
            try {
                long quietUntil = Long.MAX_VALUE;
                while (System.nanoTime() < quietUntil) {
                    if (selector.select(100) == 0) {
                        if (received.get() >= total) {
                            break;
                        }
                    }
                    for (SelectionKey key : selector.selectedKeys()) {
                        DatagramChannel ch = (DatagramChannel) key.channel();
                        while (true) {
                            in.clear();
                            try {
                                if (ch.read(in) <= 0) {
                                    break;
                                }
                            } catch (java.net.PortUnreachableException e) {
                                break; // an earlier request met a closed port: counted as lost
                            }
                            long now = System.nanoTime();
                            int seq = in.getInt(0);
                            long due = in.getLong(4);
                            if (seq >= 0 && seq < total && latencies[seq] == 0) {
                                latencies[seq] = Math.max(1, now - due);
                                received.incrementAndGet();
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                    if (quietUntil == Long.MAX_VALUE && System.nanoTime() > start + (long) seconds * 1_000_000_000L) {
                        quietUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    }
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ByteBuffer out = ByteBuffer.allocateDirect(PAYLOAD);
        long sendErrors = 0;
        for (int seq = 0; seq < total; seq++) {
            long due = start + seq * intervalNanos;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                if (wait > 50_000) {
                    LockSupport.parkNanos(wait - 20_000);
                } else {
                    Thread.onSpinWait();
                }
            }
            out.clear();
            out.putInt(0, seq).putLong(4, due);
            out.limit(PAYLOAD);
            try {
                sockets[seq % flows].write(out);
            } catch (IOException e) {
                sendErrors++;
            }
        }
        long sendEnd = System.nanoTime();
        receiver.join();
        long[] got = Arrays.stream(latencies).filter(l -> l > 0).sorted().toArray();
        double secondsSent = (sendEnd - start) / 1e9;
        System.out.printf("target=%s rate=%d flows=%d sent=%d received=%d lost=%.3f%% sendErrors=%d achieved=%.0f/s"
                        + " p50=%s p99=%s p999=%s max=%s%n", target, rate, flows, total, got.length,
                100.0 * (total - got.length) / total, sendErrors, got.length / secondsSent,
                micros(got, 0.50), micros(got, 0.99), micros(got, 0.999), micros(got, 1.0));
        for (DatagramChannel s : sockets) {
            s.close();
        }
    }

    private static String micros(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "-";
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return (sorted[Math.max(0, i)] / 1_000) + "us";
    }
}
