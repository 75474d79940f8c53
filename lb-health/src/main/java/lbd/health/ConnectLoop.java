package lbd.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * checktype=connect for every such real server on one platform thread: a {@link Selector} for non-blocking
 * connects and a timer wheel for "next check due" and "connect timed out". Each server has at most one timer
 * and at most one connect in flight, and its next check is scheduled only when its probe ends, so probes of one
 * server never overlap; a server whose handshake hangs only waits for its own timeout. In steady state a check
 * allocates only what the JDK forces (the SocketChannel and its SelectionKey) and sends the monitor nothing.
 *
 * <p>The monitor's event thread adds and stops checks through a queue; everything else is owned by the loop.
 */
final class ConnectLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("lbd.health");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final Selector selector;
    private final DueTimers<ConnectCheck> timers;
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Map<Path, MaintenanceListing> maintenanceDirs = new HashMap<>();
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final Thread thread;
    private volatile boolean running = true;

    ConnectLoop() {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector for connect checks: " + e.getMessage(), e);
        }
        timers = new DueTimers<>(System.nanoTime());
        thread = Thread.ofPlatform().daemon().name("lbd-health-connect").start(this::run);
    }

    /** Starts checking {@code check}; its first check comes within its first interval (at most a second). */
    void add(ConnectCheck check) {
        command(() -> {
            check.maintenance = check.spec.maintenanceDir()
                    .map(dir -> maintenanceDirs.computeIfAbsent(dir, MaintenanceListing::new)).orElse(null);
            schedule(check, System.nanoTime() + ServerChecker.initialDelayNanos(check.intervalNanos));
        });
    }

    /** Stops checking {@code check}; a connect in flight is abandoned and nothing more is reported. */
    void stop(ConnectCheck check) {
        command(() -> retire(check));
    }

    /** Stops every check and the thread, and waits for it. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
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
        selector.wakeup();
    }

    // ---------------------------------------------------------------- loop thread

    private void run() {
        try {
            while (running) {
                runCommands();
                long timeoutMillis = selectTimeoutMillis();
                if (timeoutMillis < 0) {
                    selector.selectNow(onReady);
                } else {
                    selector.select(onReady, timeoutMillis);
                }
                expireTimers(System.nanoTime());
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("connect checks stopped: {}; servers with checktype=connect are no longer checked until"
                    + " lbd is restarted", e.toString());
        } finally {
            for (SelectionKey key : selector.keys()) {
                closeQuietly((SocketChannel) key.channel());
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    /** 0 = no timer at all (sleep until a command), -1 = something is already due, else millis to wait. */
    private long selectTimeoutMillis() {
        long wakeAt = timers.nextCollectNanos();
        if (wakeAt == Long.MAX_VALUE) {
            return 0;
        }
        long left = wakeAt - System.nanoTime();
        return left <= 0 ? -1 : Math.max(1, (left + 999_999) / 1_000_000);
    }

    private void runCommands() {
        Runnable command;
        while ((command = commands.poll()) != null) {
            try {
                command.run();
            } catch (RuntimeException e) {
                // A bug in adding or stopping one server must not end everyone's connect checks.
                LOG.error("connect checks: adding or stopping a server failed: {}", e.toString());
            }
        }
    }

    private void expireTimers(long now) {
        List<ConnectCheck> due = timers.collectDue(now);
        // Acted on after polling, never inside it: acting schedules timers, which a wheel mid-poll should not see.
        for (int i = 0; i < due.size(); i++) {
            ConnectCheck check = due.get(i);
            if (check.stopped) {
                continue;
            }
            try {
                if (check.connecting()) {
                    end(check, false, check.timedOut, now);
                } else {
                    begin(check, now);
                }
            } catch (RuntimeException e) {
                internalError(check, e);
            }
        }
    }

    private void onReady(SelectionKey key) {
        ConnectCheck check = (ConnectCheck) key.attachment();
        if (check.stopped || check.key != key) {
            return;
        }
        try {
            boolean connected;
            String failure = null;
            try {
                connected = check.channel.finishConnect();
            } catch (IOException e) {
                connected = false;
                failure = "connect: " + IoFailures.describe(e, check.spec.check().connectTimeout());
            }
            if (connected) {
                failure = sendProxyHeader(check);
                connected = failure == null;
            }
            if (connected || failure != null) {
                timers.cancel(check);
                end(check, connected, connected ? ConnectCheck.CONNECTED : failure, System.nanoTime());
            }
        } catch (RuntimeException e) {
            internalError(check, e);
        }
    }

    /** Starts one check: maintenance, else a non-blocking connect (which loopback may complete at once). */
    private void begin(ConnectCheck check, long now) {
        check.startedNanos = now;
        if (check.maintenance != null
                && check.maintenance.contains(check.maintenanceFile, check.maintenanceIpFile, check.intervalNanos, now)) {
            check.verdict(false, HealthMonitor.MAINTENANCE, true); // no probe runs: lastCheck keeps its value
            schedule(check, now + check.intervalNanos);
            return;
        }
        SocketChannel channel = null;
        try {
            // An IPv4 socket for an IPv4 server: the JDK's default dual-stack socket costs a setsockopt more.
            channel = check.target.getAddress() instanceof Inet4Address
                    ? SocketChannel.open(StandardProtocolFamily.INET) : SocketChannel.open();
            channel.configureBlocking(false);
            // Reset instead of FIN: no TIME_WAIT pile-up at one probe per server per second.
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            check.channel = channel;
            if (channel.connect(check.target)) {
                String failure = sendProxyHeader(check);
                end(check, failure == null, failure == null ? ConnectCheck.CONNECTED : failure, System.nanoTime());
                return;
            }
            check.key = channel.register(selector, SelectionKey.OP_CONNECT, check);
            schedule(check, now + check.timeoutNanos);
        } catch (IOException e) {
            check.channel = channel;
            end(check, false, "connect: " + IoFailures.describe(e, check.spec.check().connectTimeout()),
                    System.nanoTime());
        }
    }

    /**
     * proxyprotocol=: writes the PROXY header on the just-connected probe, as HAProxy's connect check with
     * check-send-proxy does before it counts the connection as established; null when written (or none is due),
     * else the failure. A new socket's send buffer takes the 16 bytes at once: a partial write is a failure.
     */
    private static String sendProxyHeader(ConnectCheck check) {
        ByteBuffer header = check.proxyHeader;
        if (header == null) {
            return null;
        }
        try {
            header.rewind();
            check.channel.write(header);
            return header.hasRemaining() ? "connect: the PROXY header could not be sent at once" : null;
        } catch (IOException e) {
            return "connect: sending the PROXY header: " + IoFailures.describe(e, check.spec.check().connectTimeout());
        }
    }

    /** Ends the probe in flight with a verdict and schedules the next one checkinterval after this one started. */
    private void end(ConnectCheck check, boolean up, String reason, long now) {
        closeProbe(check);
        check.lastCheck.record(now - check.startedNanos);
        CheckDebug.log(check.spec, up, reason, now - check.startedNanos);
        check.verdict(up, reason, false);
        schedule(check, check.startedNanos + check.intervalNanos);
    }

    private void schedule(ConnectCheck check, long deadline) {
        if (check.stopped) {
            return;
        }
        timers.schedule(check, deadline);
    }

    private void retire(ConnectCheck check) {
        check.stopped = true;
        timers.cancel(check);
        closeProbe(check);
    }

    private void closeProbe(ConnectCheck check) {
        SocketChannel channel = check.channel;
        if (channel != null) {
            check.channel = null;
            check.key = null;
            closeQuietly(channel); // also cancels its key; the selector drops it on its next select
        }
    }

    /** A bug must not end this server's checks silently, nor anyone else's: a failed check, and carry on. */
    private void internalError(ConnectCheck check, RuntimeException e) {
        closeProbe(check);
        timers.cancel(check);
        check.verdict(false, "internal error in the connect check: " + e, false);
        schedule(check, check.startedNanos + check.intervalNanos);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a probe socket: nothing to do about a failure
        }
    }
}
