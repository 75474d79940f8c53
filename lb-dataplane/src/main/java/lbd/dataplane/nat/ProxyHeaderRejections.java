package lbd.dataplane.nat;

import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import lbd.config.model.VirtualServiceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's account of the clients of acceptproxy=yes services closed for a bad PROXY header: each is counted
 * ({@code lbd_loop_proxy_header_rejected_total}, and as refused), and one log line per interval says how many there
 * were and why the last one was closed — a scanner or a misconfigured upstream must not flood the log. Loop thread.
 */
final class ProxyHeaderRejections {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyHeaderRejections.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AcceptCounters counters;
    private long lastLog;
    private boolean logged;
    private long unlogged;

    ProxyHeaderRejections(AcceptCounters counters) {
        this.counters = counters;
    }

    /** A client of {@code service} from {@code from} is closed because of {@code reason}. */
    void rejected(VirtualServiceKey service, SocketAddress from, String reason) {
        counters.proxyHeaderRejected();
        counters.refused();
        unlogged++;
        long now = System.nanoTime();
        if (!logged || now - lastLog >= LOG_INTERVAL_NANOS) {
            logged = true;
            lastLog = now;
            LOG.warn("lbd: {} (acceptproxy=yes): closed {} connection{} without a valid PROXY header{}; the last from"
                    + " {}: {}", service, unlogged, unlogged == 1 ? "" : "s",
                    unlogged == 1 ? "" : " in the last 10 s", from, reason);
            unlogged = 0;
        }
    }
}
