package lbd.health;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import lbd.config.model.ProxyProtocol;

/**
 * One real server checked with checktype=connect on the {@link ConnectLoop}: its settings, state machine and
 * the probe in flight. Everything mutable here is owned by the loop's thread; the monitor only holds it to ask
 * the loop to stop it.
 */
final class ConnectCheck extends DueTimers.Entry {

    static final String CONNECTED = "connect: connected";

    final CheckSpec spec;
    final InetSocketAddress target;
    final long intervalNanos;
    final long timeoutNanos;
    /** Built once: a server that keeps timing out reports the same instance, which is cheap to compare. */
    final String timedOut;
    /** The maintenancedir's files for this server ({@code IP:port}, {@code IP}); null without maintenancedir. */
    final String maintenanceFile;
    final String maintenanceIpFile;
    final LastCheck lastCheck;
    /** proxyprotocol=: the PROXY header written once connected (null without), rewound for each probe. */
    final ByteBuffer proxyHeader;
    private final ServerVerdict verdict;

    // Owned by the loop thread.
    MaintenanceListing maintenance; // set by the loop when the check is added; null without maintenancedir
    long startedNanos;
    SocketChannel channel;
    SelectionKey key;
    boolean stopped;

    ConnectCheck(long id, CheckSpec spec, RealServerStatus current, LastCheck lastCheck, Consumer<CheckReport> sink,
                 MonitorLine monitor) {
        this.spec = spec;
        this.target = spec.target().toSocketAddress();
        this.intervalNanos = ServerChecker.intervalNanos(spec);
        this.timeoutNanos = Math.max(1_000_000L, spec.check().connectTimeout().toNanos());
        this.timedOut = "connect: timed out after " + Texts.duration(spec.check().connectTimeout());
        java.util.List<String> files = Maintenance.fileNames(spec.server().address());
        this.maintenanceFile = files.get(0);
        this.maintenanceIpFile = files.get(1);
        this.verdict = new ServerVerdict(id, spec, current, sink, monitor);
        this.lastCheck = lastCheck;
        this.proxyHeader = spec.proxyHeader() == ProxyProtocol.OFF ? null : CheckProxyHeader.buffer(spec.proxyHeader());
    }

    boolean connecting() {
        return channel != null;
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
