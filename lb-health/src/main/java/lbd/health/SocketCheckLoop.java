package lbd.health;

import static lbd.sys.LinuxNative.EAGAIN;
import static lbd.sys.LinuxNative.EINPROGRESS;
import static lbd.sys.LinuxNative.EPOLLIN;
import static lbd.sys.LinuxNative.EPOLLOUT;

import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks that need no thread of their own, for every such real server on one platform thread: checktype=connect,
 * and checktype=negotiate with service=http or http_proxy over plain TCP (connect, write the request, read the
 * response; {@link HttpProbe} keeps the request and the rules for judging it, which its blocking
 * {@link HttpProbe#check()} applies the same way to HTTPS and absolute-URL checks on their virtual threads).
 * Non-blocking sockets on one epoll set ({@link ProbeSockets}: the system calls a C prober makes, no more), and a
 * timer wheel for "next check due" and "probe timed out". Each server has at most one timer and at most one probe
 * in flight, and its next check is scheduled only when its probe ends, so probes of one server never overlap; a
 * server that hangs only waits for its own timeout. In steady state a check's I/O allocates nothing: it borrows a
 * response buffer from the loop's pool while it reads, and sends the monitor nothing.
 *
 * <p>The monitor's event thread adds and stops checks through a queue; everything else is owned by the loop.
 */
final class SocketCheckLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("lbd.health");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    /**
     * As many as the probes that ever read at once, up to 1,024 (4 MiB); more are made and dropped when needed. The
     * timer wheel starts the checks due in one tick together (~40 per 4 ms tick at 10,000 servers a second, and more
     * when ticks bunch), so 64 made a new 4 KiB buffer for one HTTP check in four: half of the health thread's
     * garbage (benchmarks/RESULTS.md, "Health checks").
     */
    private static final int MAX_POOLED_BUFFERS = 1_024;

    private final ProbeSockets sockets;
    private final DueTimers<SocketCheck> timers;
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Map<Path, MaintenanceListing> maintenanceDirs = new HashMap<>();
    /** The check whose probe holds each descriptor (descriptors are small numbers: an array, not a map). */
    private SocketCheck[] byFd = new SocketCheck[1024];
    /** Response buffers of {@link HttpProbe#INITIAL_BUFFER} bytes, lent to probes while they read. */
    private final ArrayDeque<ByteBuffer> buffers = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean running = true;

    SocketCheckLoop() {
        sockets = new ProbeSockets();
        timers = new DueTimers<>(System.nanoTime());
        thread = Thread.ofPlatform().daemon().name("lbd-health-sockets").start(this::run);
    }

    /** Starts checking {@code check}; its first check comes within its first interval (at most a second). */
    void add(SocketCheck check) {
        command(() -> {
            check.maintenance = check.spec.maintenanceDir()
                    .map(dir -> maintenanceDirs.computeIfAbsent(dir, MaintenanceListing::new)).orElse(null);
            schedule(check, System.nanoTime() + ServerChecker.initialDelayNanos(check.intervalNanos));
        });
    }

    /** Stops checking {@code check}; a probe in flight is abandoned and nothing more is reported. */
    void stop(SocketCheck check) {
        command(() -> retire(check));
    }

    /** Stops every check and the thread, and waits for it. */
    @Override
    public void close() {
        running = false;
        sockets.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(STOP_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void command(Runnable command) {
        commands.add(command);
        sockets.wakeup();
    }

    // ---------------------------------------------------------------- loop thread

    private void run() {
        try {
            while (running) {
                runCommands();
                int ready = sockets.await(waitMillis());
                for (int i = 0; i < ready; i++) {
                    onReady(sockets.readyFd(i));
                }
                expireTimers(System.nanoTime());
            }
        } catch (RuntimeException e) {
            LOG.error("health checks stopped: {}; servers with checktype=connect, and those with HTTP negotiate checks,"
                    + " are no longer checked until lbd is restarted", e.toString());
        } finally {
            for (SocketCheck check : byFd) {
                if (check != null) {
                    closeProbe(check);
                }
            }
            sockets.close();
        }
    }

    /** -1 = no timer at all (sleep until a command), 0 = something is already due, else millis to wait. */
    private int waitMillis() {
        long wakeAt = timers.nextCollectNanos();
        if (wakeAt == Long.MAX_VALUE) {
            return -1;
        }
        long left = wakeAt - System.nanoTime();
        return left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000));
    }

    private void runCommands() {
        Runnable command;
        while ((command = commands.poll()) != null) {
            try {
                command.run();
            } catch (RuntimeException e) {
                // A bug in adding or stopping one server must not end everyone's checks.
                LOG.error("health checks: adding or stopping a server failed: {}", e.toString());
            }
        }
    }

    private void expireTimers(long now) {
        List<SocketCheck> due = timers.collectDue(now);
        // Acted on after polling, never inside it: acting schedules timers, which a wheel mid-poll should not see.
        for (int i = 0; i < due.size(); i++) {
            SocketCheck check = due.get(i);
            if (check.stopped) {
                continue;
            }
            try {
                if (check.probing()) {
                    long exchangeEnd = check.startedNanos + check.exchangeNanos;
                    if (check.connected && now - exchangeEnd < 0) {
                        schedule(check, exchangeEnd); // connected in time: the rest of negotiatetimeout is left
                    } else {
                        end(check, false, check.timedOut, now);
                    }
                } else {
                    begin(check, now);
                }
            } catch (RuntimeException e) {
                internalError(check, e);
            }
        }
    }

    private void onReady(int fd) {
        SocketCheck check = fd < byFd.length ? byFd[fd] : null;
        if (check == null || check.stopped || check.fd != fd) {
            return;
        }
        try {
            if (check.response != null) {
                receive(check);
            } else if (!check.connected) {
                finishConnect(check);
            } else {
                send(check);
            }
        } catch (RuntimeException e) {
            internalError(check, e);
        }
    }

    private void finishConnect(SocketCheck check) {
        int error = sockets.connectError(check.fd);
        if (error == 0) {
            connected(check);
        } else {
            end(check, false, failure(check, error, false), System.nanoTime());
        }
    }

    /**
     * The probe's connection is up: a connect check ends here (after the PROXY header, if any); a negotiate check
     * writes its request, now bounded only by negotiatetimeout from the probe's start. (Its timer stays set for the
     * connect's deadline, and is moved on to negotiatetimeout only if it fires first: most probes end before.)
     */
    private void connected(SocketCheck check) {
        check.connected = true;
        if (check.http == null) {
            String failure = sendProxyHeader(check);
            end(check, failure == null, failure == null ? SocketCheck.CONNECTED : failure, System.nanoTime());
            return;
        }
        check.request.rewind();
        send(check);
    }

    /** negotiate: writes what is left of the request; once it is all out, waits for the response. */
    private void send(SocketCheck check) {
        int sent = sockets.send(check.fd, check.request);
        if (sent < 0 && sent != -EAGAIN) {
            end(check, false, failure(check, -sent, false), System.nanoTime());
            return;
        }
        if (check.request.hasRemaining()) {
            waitFor(check, EPOLLOUT); // a request longer than the socket's send buffer
            return;
        }
        ByteBuffer response = buffers.poll();
        check.response = response != null ? response : ByteBuffer.allocate(HttpProbe.INITIAL_BUFFER);
        waitFor(check, EPOLLIN);
    }

    /**
     * negotiate: reads what has arrived; judges the response once it is whole, the server has closed, or it has
     * reached {@link HttpProbe#MAX_RESPONSE} — when {@link HttpProbe#check()} would stop reading too.
     */
    private void receive(SocketCheck check) {
        ByteBuffer response = check.response;
        boolean ended = false;
        while (true) {
            if (!response.hasRemaining()) {
                if (response.capacity() >= HttpProbe.MAX_RESPONSE) {
                    ended = true;
                    break;
                }
                response = grow(check, response);
            }
            int n = sockets.receive(check.fd, response);
            if (n == 0) {
                ended = true;
                break;
            }
            if (n == -EAGAIN) {
                break;
            }
            if (n < 0) {
                end(check, false, failure(check, -n, true), System.nanoTime());
                return;
            }
            if (check.http.complete(response.array(), response.position())) {
                ended = true;
                break;
            }
        }
        if (ended) {
            ProbeResult result = check.http.judge(response.array(), response.position());
            end(check, result.up(), result.detail(), System.nanoTime());
        }
    }

    /** The probe's socket waits for {@code events} from now on (added to the epoll set on its first wait). */
    private void waitFor(SocketCheck check, int events) {
        if (check.events == events) {
            return;
        }
        int error = check.events == 0 ? sockets.watch(check.fd, events) : sockets.rewatch(check.fd, events);
        if (error != 0) {
            throw new IllegalStateException("epoll_ctl: " + ProbeSockets.exception(error, false).getMessage());
        }
        check.events = events;
    }

    /** A bigger buffer for a long response (up to MAX_RESPONSE); the small one goes back to the pool. */
    private ByteBuffer grow(SocketCheck check, ByteBuffer small) {
        int size = Math.min(HttpProbe.MAX_RESPONSE, small.capacity() * 2);
        ByteBuffer bigger = ByteBuffer.allocate(size);
        small.flip();
        bigger.put(small);
        giveBack(small);
        check.response = bigger;
        return bigger;
    }

    private void giveBack(ByteBuffer buffer) {
        if (buffer.capacity() == HttpProbe.INITIAL_BUFFER && buffers.size() < MAX_POOLED_BUFFERS) {
            buffers.push(buffer.clear());
        }
    }

    /** A failed system call of the probe, in its check's words: {@code connect: ...} or {@code negotiate: ...}. */
    private static String failure(SocketCheck check, int errno, boolean reading) {
        return failure(check, ProbeSockets.exception(errno, reading));
    }

    private static String failure(SocketCheck check, IOException e) {
        return check.http == null ? "connect: " + IoFailures.describe(e, check.spec.check().connectTimeout())
                : check.http.failed(e).detail();
    }

    /**
     * Starts one check: maintenance, else a non-blocking connect (which loopback may complete at once), bounded by
     * connecttimeout (negotiate: and negotiatetimeout).
     */
    private void begin(SocketCheck check, long now) {
        check.startedNanos = now;
        if (check.maintenance != null
                && check.maintenance.contains(check.maintenanceFile, check.maintenanceIpFile, check.intervalNanos, now)) {
            check.verdict(false, HealthMonitor.MAINTENANCE, true); // no probe runs: lastCheck keeps its value
            schedule(check, now + check.intervalNanos);
            return;
        }
        String invalid = check.http == null ? null : check.http.invalidReason();
        if (invalid != null) {
            end(check, false, invalid, now); // every check fails before any I/O, as HttpProbe's
            return;
        }
        if (check.sockaddr == null) {
            end(check, false, failure(check, new UnknownHostException(check.target.getHostString())), now);
            return;
        }
        int fd = sockets.open(check.sockaddr);
        if (fd < 0) {
            end(check, false, failure(check, -fd, false), now);
            return;
        }
        track(check, fd);
        int connect = sockets.connect(fd, check.sockaddr);
        if (connect == 0) { // loopback may connect at once: a connect check ends here, negotiate goes on
            if (check.http != null) {
                schedule(check, now + check.timeoutNanos);
            }
            connected(check);
        } else if (connect == EINPROGRESS) {
            waitFor(check, EPOLLOUT);
            schedule(check, now + check.timeoutNanos);
        } else {
            end(check, false, failure(check, connect, false), System.nanoTime());
        }
    }

    /** {@code fd} is {@code check}'s probe from now on. */
    private void track(SocketCheck check, int fd) {
        if (fd >= byFd.length) {
            byFd = Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length * 2));
        }
        byFd[fd] = check;
        check.fd = fd;
    }

    /**
     * proxyprotocol=: writes the PROXY header on the just-connected probe, as HAProxy's connect check with
     * check-send-proxy does before it counts the connection as established; null when written (or none is due),
     * else the failure. A new socket's send buffer takes the 16 bytes at once: a partial write is a failure.
     */
    private String sendProxyHeader(SocketCheck check) {
        ByteBuffer header = check.proxyHeader;
        if (header == null) {
            return null;
        }
        header.rewind();
        int sent = sockets.send(check.fd, header);
        if (sent < 0 && sent != -EAGAIN) {
            return "connect: sending the PROXY header: "
                    + IoFailures.describe(ProbeSockets.exception(-sent, false), check.spec.check().connectTimeout());
        }
        return header.hasRemaining() ? "connect: the PROXY header could not be sent at once" : null;
    }

    /**
     * Ends the probe in flight with a verdict (its timeout timer, if still set, goes with it) and schedules the next
     * one checkinterval after this one started.
     */
    private void end(SocketCheck check, boolean up, String reason, long now) {
        timers.cancel(check);
        closeProbe(check);
        check.lastCheck.record(now - check.startedNanos);
        CheckDebug.log(check.spec, up, reason, now - check.startedNanos);
        check.verdict(up, reason, false);
        schedule(check, check.startedNanos + check.intervalNanos);
    }

    private void schedule(SocketCheck check, long deadline) {
        if (check.stopped) {
            return;
        }
        timers.schedule(check, deadline);
    }

    private void retire(SocketCheck check) {
        check.stopped = true;
        timers.cancel(check);
        closeProbe(check);
    }

    private void closeProbe(SocketCheck check) {
        check.connected = false;
        ByteBuffer response = check.response;
        if (response != null) {
            check.response = null;
            giveBack(response);
        }
        int fd = check.fd;
        if (fd >= 0) {
            check.fd = -1;
            check.events = 0;
            byFd[fd] = null;
            sockets.close(fd); // also takes it out of the epoll set
        }
    }

    /** A bug must not end this server's checks silently, nor anyone else's: a failed check, and carry on. */
    private void internalError(SocketCheck check, RuntimeException e) {
        closeProbe(check);
        timers.cancel(check);
        check.verdict(false, "internal error in the " + (check.http == null ? "connect" : "negotiate") + " check: "
                + e, false);
        schedule(check, check.startedNanos + check.intervalNanos);
    }
}
