package lbd.bench.latency;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * An open-loop HTTP/1.1 load: request k is due at {@code start + k / rate}, whatever happened to the requests
 * before it, and its latency runs from that intended time to the last byte of its response. A request that finds
 * no free connection waits, and its wait counts; a closed-loop client (wrk) would instead send it later and count
 * from then, hiding every stall behind the few requests that saw it (coordinated omission).
 *
 * <p>Two modes: {@link Mode#CONNCLOSE} opens a new TCP connection per request (at most {@code connections} at
 * once), sends {@code Connection: close} and reads to end of stream; {@link Mode#KEEPALIVE} keeps
 * {@code connections} persistent connections and gives each due request to a free one.
 *
 * <p>One thread, one selector, non-blocking sockets (and a {@link SelectorAlarm} to wake it between milliseconds);
 * the connection slots, buffers and the response framing are made once, so steady state allocates only what the
 * JDK allocates per socket (connclose). Requests due during the warm-up are sent but not recorded. Run time is bounded: warm-up + duration + timeout (+ connection set-up);
 * what has not completed by then is an error.
 */
final class FixedRateLoad {

    enum Mode { CONNCLOSE, KEEPALIVE }

    /** Why a request counted as an error. */
    enum ErrorKind {
        /** the connection could not be opened */
        CONNECT,
        /** a read or write failed (reset) */
        IO,
        /** the peer closed before the response was whole */
        CLOSED,
        /** not an HTTP response as framed by {@link HttpResponseFraming}, or more bytes than one response */
        MALFORMED,
        /** a status outside 200-399 */
        STATUS,
        /** not complete within the timeout after its intended time, or in flight at the run's deadline */
        TIMEOUT,
        /** never sent: no connection was free before the run's deadline */
        UNSENT
    }

    record Settings(Mode mode, InetSocketAddress target, String path, long ratePerSecond, long warmupNanos,
                    long durationNanos, int connections, long timeoutNanos) {
        Settings {
            if (ratePerSecond <= 0 || durationNanos <= 0 || warmupNanos < 0 || connections <= 0 || timeoutNanos <= 0) {
                throw new IllegalArgumentException("rate, duration, connections and timeout must be positive");
            }
        }
    }

    /**
     * Latencies in nanoseconds of the requests due after the warm-up that got a complete 2xx/3xx response; the
     * achieved rate is their number over the measured window, or over the time until the last of them completed
     * when the target fell behind the schedule. clientStallMaxNanos: the longest time, after the warm-up, that the
     * client's loop came back later than it asked to (descheduled, paused or busy): a stall of the client delays
     * requests as a stall of the target does, and this tells them apart.
     */
    record Result(Histogram latencyNanos, long completed, long errors, long warmupErrors, double achievedPerSecond,
                  long bytes, long[] errorsByKind, long reconnects, long clientStallMaxNanos) {}

    private static final long TIMEOUT_SCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** DEAD: a persistent connection that could not be reopened; its slot carries nothing more. */
    private enum State { FREE, CONNECTING, WRITING, READING, AWAIT_EOF, DEAD }

    /** One connection slot: reused for every request it carries (keepalive) or every connection opened in it. */
    private static final class Slot {
        final int index;
        final ByteBuffer request;
        final ByteBuffer in = ByteBuffer.allocateDirect(8192);
        final HttpResponseFraming framing = new HttpResponseFraming();
        SocketChannel channel;
        SelectionKey key;
        State state = State.FREE;
        long requestIndex = -1;
        long intended;

        Slot(int index, ByteBuffer requestBytes) {
            this.index = index;
            this.request = requestBytes.duplicate();
        }
    }

    private final Settings settings;
    /** the target's family, not the JDK's dual-stack default: one setsockopt (IPV6_V6ONLY) less per connection */
    private final ProtocolFamily family;
    private final Selector selector;
    private final Slot[] slots;
    private final int[] free;
    private int freeCount;
    private final Histogram histogram = new Histogram(3);
    private final Consumer<SelectionKey> onReady = this::onReady;
    private long start;
    private long measuredFrom;
    private long completed;
    private long errors;
    private long warmupErrors;
    private long bytes;
    private long lastCompletion;
    private final long[] errorsByKind = new long[ErrorKind.values().length];
    private long reconnects;
    private long inFlight;

    FixedRateLoad(Settings settings) throws IOException {
        this.settings = settings;
        this.family = settings.target().getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        this.selector = Selector.open();
        String host = settings.target().getHostString() + ":" + settings.target().getPort();
        String request = "GET " + settings.path() + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + (settings.mode() == Mode.CONNCLOSE ? "Connection: close\r\n" : "") + "\r\n";
        byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer requestBytes = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        slots = new Slot[settings.connections()];
        free = new int[slots.length];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i, requestBytes);
        }
    }

    /** Runs the whole schedule on the calling thread and closes every socket it opened. */
    Result run() throws IOException {
        SelectorAlarm alarm = new SelectorAlarm(selector);
        try {
            if (settings.mode() == Mode.KEEPALIVE) {
                for (Slot slot : slots) {
                    openPersistent(slot);
                    free[freeCount++] = slot.index;
                }
            } else {
                for (Slot slot : slots) {
                    free[freeCount++] = slot.index;
                }
            }
            long rate = settings.ratePerSecond();
            long total = (settings.warmupNanos() + settings.durationNanos()) * rate / 1_000_000_000L;
            measuredFrom = ceilDiv(settings.warmupNanos() * rate, 1_000_000_000L);
            start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
            long scheduleEnd = start + settings.warmupNanos() + settings.durationNanos();
            long deadline = scheduleEnd + settings.timeoutNanos();
            long next = 0;
            long nextScan = start + TIMEOUT_SCAN_NANOS;
            long measuredStart = start + settings.warmupNanos();
            long stallMax = 0;
            long previous = System.nanoTime();
            long allowed = 0;
            while (true) {
                long now = System.nanoTime();
                // how much longer than it asked to wait the loop was away: the client's own stalls (descheduled,
                // a pause, a slow iteration), which count in every latency as the target's would
                if (now - measuredStart >= 0) { // after the warm-up, like the latencies
                    stallMax = Math.max(stallMax, now - previous - allowed);
                }
                previous = now;
                while (next < total && freeCount > 0 && intended(next) <= now) {
                    Slot slot = slots[free[--freeCount]];
                    if (slot.state != State.DEAD) {
                        issue(slot, next++);
                    }
                }
                if (next >= total && inFlight == 0) {
                    break;
                }
                if (now - deadline >= 0) {
                    abandon(next, total);
                    break;
                }
                if (now - nextScan >= 0) {
                    expire(now);
                    nextScan = now + TIMEOUT_SCAN_NANOS;
                }
                long wait = Math.min(nextScan, deadline) - now;
                if (next < total && freeCount > 0) {
                    wait = Math.min(wait, intended(next) - now);
                }
                allowed = Math.max(0, wait);
                if (wait <= 0) {
                    selector.selectNow(onReady);
                } else if (wait >= 2_000_000L) {
                    selector.select(onReady, wait / 1_000_000L - 1); // wakes for I/O; the last ms on the alarm
                } else {
                    alarm.set(now + wait); // select waits in whole ms: the alarm wakes it to the nanosecond
                    selector.select(onReady, 2);
                }
            }
            double seconds = Math.max(settings.durationNanos(), lastCompletion - measuredStart) / 1e9;
            return new Result(histogram, completed, errors, warmupErrors, completed / seconds, bytes,
                    errorsByKind.clone(), reconnects, stallMax);
        } finally {
            try {
                alarm.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Slot slot : slots) {
                closeQuietly(slot);
            }
            selector.close();
        }
    }

    private long intended(long k) {
        return start + k * 1_000_000_000L / settings.ratePerSecond();
    }

    private void issue(Slot slot, long k) {
        slot.requestIndex = k;
        slot.intended = intended(k);
        slot.framing.reset();
        slot.in.clear();
        slot.request.rewind();
        inFlight++;
        if (settings.mode() == Mode.KEEPALIVE) {
            write(slot);
            return;
        }
        try {
            SocketChannel channel = SocketChannel.open(family);
            slot.channel = channel;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (channel.connect(settings.target())) {
                slot.key = channel.register(selector, 0, slot);
                write(slot);
            } else {
                slot.state = State.CONNECTING;
                slot.key = channel.register(selector, SelectionKey.OP_CONNECT, slot);
            }
        } catch (IOException e) {
            fail(slot, ErrorKind.CONNECT);
        }
    }

    private void write(Slot slot) {
        try {
            slot.channel.write(slot.request);
        } catch (IOException e) {
            fail(slot, ErrorKind.IO);
            return;
        }
        if (slot.request.hasRemaining()) {
            slot.state = State.WRITING;
            slot.key.interestOps(SelectionKey.OP_WRITE);
        } else {
            slot.state = State.READING;
            slot.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void onReady(SelectionKey key) {
        Slot slot = (Slot) key.attachment();
        if (!key.isValid()) {
            return;
        }
        switch (slot.state) {
            case CONNECTING -> {
                try {
                    if (slot.channel.finishConnect()) {
                        write(slot);
                    }
                } catch (IOException e) {
                    fail(slot, ErrorKind.CONNECT);
                }
            }
            case WRITING -> write(slot);
            case READING, AWAIT_EOF -> read(slot);
            case FREE -> read(slot); // an idle persistent connection: only its close (or junk) can arrive
            case DEAD -> { }
        }
    }

    private void read(Slot slot) {
        while (true) {
            int n;
            try {
                slot.in.clear();
                n = slot.channel.read(slot.in);
            } catch (IOException e) {
                n = -2;
            }
            if (n == 0) {
                return;
            }
            if (slot.state == State.FREE) { // nothing asked: the server closed an idle connection, or sent junk
                reopen(slot); // it stays in the free list where it is; DEAD if it could not be reopened
                return;
            }
            if (n < 0) {
                if (slot.state == State.AWAIT_EOF) {
                    release(slot);
                } else if (n == -1 && slot.framing.endOfStream() == HttpResponseFraming.Outcome.COMPLETE) {
                    complete(slot);
                    release(slot);
                } else {
                    fail(slot, n == -1 ? ErrorKind.CLOSED : ErrorKind.IO);
                }
                return;
            }
            bytes += n;
            if (slot.state == State.AWAIT_EOF) { // bytes after a complete Connection: close response
                fail(slot, ErrorKind.MALFORMED);
                return;
            }
            slot.in.flip();
            switch (slot.framing.feed(slot.in)) {
                case NEED_MORE -> { }
                case MALFORMED -> {
                    fail(slot, ErrorKind.MALFORMED);
                    return;
                }
                case COMPLETE -> {
                    if (slot.in.hasRemaining()) { // more than one response to one request
                        fail(slot, ErrorKind.MALFORMED);
                        return;
                    }
                    complete(slot);
                    if (settings.mode() == Mode.CONNCLOSE) {
                        slot.state = State.AWAIT_EOF; // the server closes; its FIN is read before the slot is reused
                    } else {
                        release(slot);
                        return;
                    }
                }
            }
        }
    }

    /** The response is whole: its latency is recorded (or, with a failing status, an error counted). */
    private void complete(Slot slot) {
        int status = slot.framing.status();
        if (status < 200 || status >= 400) {
            countError(slot.requestIndex, ErrorKind.STATUS);
            slot.requestIndex = -1;
            return;
        }
        if (slot.requestIndex >= measuredFrom) {
            long now = System.nanoTime();
            histogram.recordValue(Math.max(0, now - slot.intended));
            completed++;
            lastCompletion = now;
        }
        slot.requestIndex = -1;
    }

    /** The slot's request is over (completed or counted): the slot takes the next one. */
    private void release(Slot slot) {
        inFlight--;
        if (settings.mode() == Mode.CONNCLOSE) {
            closeQuietly(slot);
        }
        slot.state = State.FREE;
        free[freeCount++] = slot.index;
    }

    /** The request in flight in this slot failed: counted, its connection closed (and reopened, keepalive). */
    private void fail(Slot slot, ErrorKind kind) {
        if (slot.requestIndex >= 0) {
            countError(slot.requestIndex, kind);
            slot.requestIndex = -1;
        }
        if (settings.mode() == Mode.KEEPALIVE) {
            inFlight--;
            reopen(slot);
            free[freeCount++] = slot.index;
        } else {
            release(slot);
        }
    }

    private void countError(long k, ErrorKind kind) {
        if (k >= measuredFrom) {
            errors++;
            errorsByKind[kind.ordinal()]++;
        } else {
            warmupErrors++;
        }
    }

    /** Requests in flight longer than the timeout are errors, their connections closed. */
    private void expire(long now) {
        for (Slot slot : slots) {
            if (slot.state != State.FREE && slot.state != State.DEAD && now - slot.intended > settings.timeoutNanos()) {
                fail(slot, ErrorKind.TIMEOUT);
            }
        }
    }

    /** At the deadline: what is in flight and what was never sent are errors. */
    private void abandon(long next, long total) {
        for (Slot slot : slots) {
            if (slot.requestIndex >= 0) {
                countError(slot.requestIndex, ErrorKind.TIMEOUT);
                slot.requestIndex = -1;
            }
        }
        for (long k = next; k < total; k++) {
            countError(k, ErrorKind.UNSENT);
        }
    }

    private void openPersistent(Slot slot) throws IOException {
        SocketChannel channel = SocketChannel.open(family);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.connect(settings.target());
        channel.configureBlocking(false);
        slot.channel = channel;
        slot.key = channel.register(selector, SelectionKey.OP_READ, slot);
        slot.state = State.FREE;
    }

    /** A persistent connection closed or failed: a new one takes its place (blocking connect: an error path). */
    private void reopen(Slot slot) {
        reconnects++;
        closeQuietly(slot);
        try {
            openPersistent(slot);
        } catch (IOException e) {
            slot.state = State.DEAD; // one connection fewer from now on; the issue loop drops it from the free list
        }
    }

    private static void closeQuietly(Slot slot) {
        if (slot.channel != null) {
            try {
                slot.channel.close();
            } catch (IOException ignored) {
                // closing: nothing left to do with it
            }
            slot.channel = null;
            slot.key = null;
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
