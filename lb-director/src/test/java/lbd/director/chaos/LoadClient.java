package lbd.director.chaos;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Requests through a VIP from a few threads, each an HTTP/1.0 GET on a new connection, for as long as it runs.
 * Every request's start and end are stamped on one logical clock shared with the faults ({@link #now}), so that
 * a failure can be matched with the faults it overlapped without reading any wall clock: a request was "in
 * flight at a fault" when it started before the fault ended and ended after the fault began.
 *
 * <p>A request waits up to 30 s for its answer: longer than any fault a test holds open, so a request to a
 * real server that hangs stays in flight until the test releases it, and fails then.
 */
final class LoadClient implements AutoCloseable {

    /** One request: its stamps, and why it failed (null: it was answered by a real server). */
    record Request(long start, long end, String failure, String server) {
        boolean overlaps(Fault f) {
            return start < f.end && end > f.begin;
        }
    }

    /** A fault's stamps: {@link #now} before it was injected and once it was over (or lbd had reacted). */
    record Fault(String what, long begin, long end) {
    }

    private final AtomicLong clock = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Request> done = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int vipPort;

    /** {@code threads} clients, each pausing {@code pauseMillis} between its requests. */
    LoadClient(int vipPort, int threads, long pauseMillis) {
        this.vipPort = vipPort;
        for (int i = 0; i < threads; i++) {
            this.threads.add(Thread.ofPlatform().name("load-" + i).daemon().start(() -> {
                while (running.get()) {
                    long start = clock.incrementAndGet();
                    String answer = request();
                    boolean answered = answer.startsWith(ANSWERED);
                    done.add(new Request(start, clock.incrementAndGet(), answered ? null : answer,
                            answered ? answer.substring(ANSWERED.length()) : null));
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(pauseMillis));
                }
            }));
        }
    }

    /** The logical clock, advanced. */
    long now() {
        return clock.incrementAndGet();
    }

    /** Requests completed so far. */
    List<Request> completed() {
        return List.copyOf(done);
    }

    /** Requests answered that started after {@code stamp}. */
    long answeredSince(long stamp) {
        return done.stream().filter(r -> r.failure == null && r.start > stamp).count();
    }

    /** Requests answered by the real server named {@code server} that started after {@code stamp}. */
    long answeredBySince(String server, long stamp) {
        return done.stream().filter(r -> server.equals(r.server) && r.start > stamp).count();
    }

    /** Stops the threads after their current request and returns every request. */
    List<Request> stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(40));
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " is still in a request after 40 s");
            }
        }
        return completed();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
    }

    /** What {@link #request} returns for an answer, followed by the real server's name. */
    private static final String ANSWERED = "answered by ";

    /** "answered by NAME", or why the request failed. */
    private String request() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", vipPort), 5_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\nHost: vip\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            int body = response.indexOf("\r\n\r\nThis is ");
            return body >= 0 ? ANSWERED + response.substring(body + "\r\n\r\nThis is ".length()).strip()
                    : "answer: '" + response + "'";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
