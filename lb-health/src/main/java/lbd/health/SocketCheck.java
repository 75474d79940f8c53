package lbd.health;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import lbd.config.model.ProxyProtocol;

/**
 * One real server checked on the {@link SocketCheckLoop}: checktype=connect, or checktype=negotiate with an HTTP
 * check over plain TCP ({@link #http}: connect, then one request and its response). Its settings, state machine
 * and the probe in flight. Everything mutable here is owned by the loop's thread; the monitor only holds it to ask
 * the loop to stop it.
 */
final class SocketCheck extends DueTimers.Entry {

    static final String CONNECTED = "connect: connected";

    final CheckSpec spec;
    final InetSocketAddress target;
    /** {@link #target} as the kernel's socket address, made once (null if it is an unresolved name). */
    final byte[] sockaddr;
    final long intervalNanos;
    /** How long the connect may take: connecttimeout (negotiate: at most negotiatetimeout too). */
    final long timeoutNanos;
    /** Built once: a server that keeps timing out reports the same instance, which is cheap to compare. */
    final String timedOut;
    /** The maintenancedir's files for this server ({@code IP:port}, {@code IP}); null without maintenancedir. */
    final String maintenanceFile;
    final String maintenanceIpFile;
    final LastCheck lastCheck;
    /** proxyprotocol=: the PROXY header written once connected (null without), rewound for each probe. */
    final ByteBuffer proxyHeader;
    /**
     * checktype=negotiate over HTTP: the check's request and its rules for a response (null for checktype=connect).
     * The whole probe is bounded by negotiatetimeout, its connect also by connecttimeout, as {@link HttpProbe}'s.
     */
    final HttpProbe http;
    /** negotiate: the PROXY header and the request, written once connected; rewound for each probe. */
    final ByteBuffer request;
    /** negotiate: the whole probe's budget (negotiatetimeout). */
    final long exchangeNanos;
    private final ServerVerdict verdict;

    // Owned by the loop thread.
    MaintenanceListing maintenance; // set by the loop when the check is added; null without maintenancedir
    long startedNanos;
    /** The probe's socket, -1 with no probe in flight. */
    int fd = -1;
    /** What the probe's socket waits for in the loop's epoll set (0: not in it yet). */
    int events;
    /** The probe's connection is up (negotiate: it writes its request or reads the response). */
    boolean connected;
    /** negotiate: the response so far, borrowed from the loop while a probe reads (null otherwise). */
    ByteBuffer response;
    boolean stopped;

    /** checktype=connect. */
    SocketCheck(long id, CheckSpec spec, RealServerStatus current, LastCheck lastCheck, Consumer<CheckReport> sink,
                 MonitorLine monitor) {
        this(id, spec, null, current, lastCheck, sink, monitor);
    }

    /** checktype=negotiate with {@code http}, which must {@link HttpProbe#runsOnLoop() run on the loop}. */
    SocketCheck(long id, CheckSpec spec, HttpProbe http, RealServerStatus current, LastCheck lastCheck,
                Consumer<CheckReport> sink, MonitorLine monitor) {
        this.spec = spec;
        this.http = http;
        this.intervalNanos = ServerChecker.intervalNanos(spec);
        if (http == null) {
            this.target = spec.target().toSocketAddress();
            this.timeoutNanos = Math.max(1_000_000L, spec.check().connectTimeout().toNanos());
            this.timedOut = "connect: timed out after " + Texts.duration(spec.check().connectTimeout());
            this.request = null;
            this.exchangeNanos = 0;
        } else {
            this.target = http.loopTarget();
            this.exchangeNanos = Math.max(1_000_000L, http.timeout().toNanos());
            this.timeoutNanos = Math.min(exchangeNanos, Math.max(1_000_000L, http.connectTimeout().toNanos()));
            this.timedOut = http.timedOut();
            this.request = http.loopRequest();
        }
        this.sockaddr = ProbeSockets.sockaddr(target);
        java.util.List<String> files = Maintenance.fileNames(spec.server().address());
        this.maintenanceFile = files.get(0);
        this.maintenanceIpFile = files.get(1);
        this.verdict = new ServerVerdict(id, spec, current, sink, monitor);
        this.lastCheck = lastCheck;
        // negotiate sends the header with its request (HttpProbe decides whether it goes to this server at all).
        this.proxyHeader = http != null || spec.proxyHeader() == ProxyProtocol.OFF ? null
                : CheckProxyHeader.buffer(spec.proxyHeader());
    }

    /** A probe is in flight (connecting, or for negotiate also writing or reading). */
    boolean probing() {
        return fd >= 0;
    }

    /** The state after the last verdict (loop thread). */
    HealthState state() {
        return verdict.state();
    }

    /** Feeds one verdict to the state machine and tells the monitor if an operator would see a change. */
    void verdict(boolean up, String reason, boolean inMaintenance) {
        verdict.record(up, reason, inMaintenance);
    }
}
