package lbd.director.systemd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import lbd.director.unix.UnixDatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notification protocol (sd_notify(3)) for {@code Type=notify}: newline-separated {@code KEY=VALUE}
 * assignments in one datagram to the socket named by {@code $NOTIFY_SOCKET}. Without that variable (not started
 * by systemd) every call does nothing. Thread-safe: the main thread, the reload thread, the control plane's
 * watchdog ping and the shutdown hook each notify.
 */
public final class SystemdNotify implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);
    private static final SystemdNotify NONE = new SystemdNotify(null, null, Optional.empty());
    /**
     * How long a change of state (READY=1, RELOADING=1, STOPPING=1, MAINPID=) waits for room in the notification
     * socket's queue, which holds only {@code net.unix.max_dgram_qlen} datagrams (10 by default): dropped, a READY=1
     * would leave systemd waiting for the end of a reload or a start it never hears of. Watchdog pings and STATUS
     * lines never wait: the next one says the same.
     */
    static final Duration STATE_BOUND = Duration.ofSeconds(5);

    private final UnixDatagramSocket socket;
    private final String socketPath;
    private final Optional<Duration> watchdog;

    private SystemdNotify(UnixDatagramSocket socket, String socketPath, Optional<Duration> watchdog) {
        this.socket = socket;
        this.socketPath = socketPath;
        this.watchdog = watchdog;
    }

    /** From {@code env} (System.getenv()): NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID as systemd sets them. */
    public static SystemdNotify fromEnvironment(Map<String, String> env, long pid) {
        String path = env.get("NOTIFY_SOCKET");
        if (path == null || path.isEmpty() || !(path.startsWith("/") || path.startsWith("@"))) {
            return NONE;
        }
        return new SystemdNotify(new UnixDatagramSocket(path, STATE_BOUND), path, watchdogInterval(env, pid));
    }

    /** WATCHDOG_USEC, when it is meant for this process (WATCHDOG_PID absent or ours), as sd_watchdog_enabled. */
    static Optional<Duration> watchdogInterval(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String forPid = env.get("WATCHDOG_PID");
        if (usec == null || (forPid != null && !forPid.equals(Long.toString(pid)))) {
            return Optional.empty();
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros > 0 ? Optional.of(Duration.ofNanos(micros * 1000)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean enabled() {
        return socket != null;
    }

    /** How often systemd expects WATCHDOG=1 at the latest ({@code WatchdogSec=}); empty when it does not. */
    public Optional<Duration> watchdog() {
        return watchdog;
    }

    /** The service is up: every listener open, the first verdicts in. */
    public void ready(String status) {
        sendState("READY=1\nSTATUS=" + oneLine(status));
    }

    /** A reload begins; {@code READY=1} follows when it is done, whatever its outcome. */
    public void reloading() {
        // MONOTONIC_USEC: CLOCK_MONOTONIC in microseconds, which System.nanoTime reads on Linux; systemd 253+
        // uses it to tell this reload's READY=1 from an earlier one.
        sendState("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000 + "\nSTATUS=reloading");
    }

    public void stopping(String status) {
        sendState("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /** The control plane is alive (sent from its own thread), with the current one-line summary. */
    public void watchdogAlive(String status) {
        send("WATCHDOG=1\nSTATUS=" + oneLine(status));
    }

    /**
     * {@code lbd upgrade}: the process {@code pid} (this one's child, in the unit's cgroup) is the service's main
     * process from now on. Sent by this process, the main one, which {@code NotifyAccess=main} lets speak; systemd
     * then hears the new one (its READY=1, its watchdog) and no longer this one.
     */
    public void mainPid(long pid, String status) {
        sendState("MAINPID=" + pid + "\nSTATUS=" + oneLine(status));
    }

    public void status(String status) {
        send("STATUS=" + oneLine(status));
    }

    private void send(String message) {
        if (socket != null) {
            socket.send(message.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void sendState(String message) {
        if (socket != null && !socket.sendWaiting(message.getBytes(StandardCharsets.UTF_8))) {
            log.warn("systemd did not take the notification {} within {} s (its socket {} is gone or its queue stayed "
                    + "full)", message.lines().findFirst().orElse(""), STATE_BOUND.toSeconds(), socketPath);
        }
    }

    private static String oneLine(String text) {
        return text.replace('\n', ' ');
    }

    /** After the last notification: a send under way when it closes may be lost. */
    @Override
    public void close() {
        if (socket != null) {
            socket.close();
        }
    }
}
