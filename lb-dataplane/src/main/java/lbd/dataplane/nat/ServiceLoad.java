package lbd.dataplane.nat;

import java.util.concurrent.TimeUnit;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.worker.WorkerShare;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's share of a virtual service's connection cap ({@code ServiceTable.maxConnections}).
 *
 * <p>To stay lock-free, each of the N loops admits at most its {@link WorkerShare} of the cap (the shares add
 * up to the cap exactly). The kernel spreads accepted connections over the SO_REUSEPORT listeners by hash, so a
 * loop may refuse while another still has room — the total never exceeds the cap. Confined to its loop's thread, except for {@link #connectLatency()}, whose
 * reader side is for the control plane.
 */
final class ServiceLoad {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceLoad.class);
    // One warning per loop and service per interval: a flood of refusals must not become a flood of log lines.
    private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final VirtualServiceKey key;
    private final int loopIndex;
    private final int loopCount;
    private final ConnectLatency connectLatency = new ConnectLatency();
    private int connections;
    private int sourceCursor; // sourceaddress=: the entry the next connection starts with
    private long lastRefusalLog;
    private boolean refusalLogged;

    ServiceLoad(VirtualServiceKey key, int loopIndex, int loopCount) {
        this.key = key;
        this.loopIndex = loopIndex;
        this.loopCount = loopCount;
    }

    /** Admits one more connection unless this loop's share of {@code maxConnections} (0 = no cap) is used up. */
    boolean tryAdmit(int maxConnections) {
        if (maxConnections > 0 && connections >= WorkerShare.of(maxConnections, loopIndex, loopCount)) {
            logRefusal(maxConnections);
            return false;
        }
        connections++;
        return true;
    }

    /** The sourceaddress= entry (of {@code count}) the next connection starts with: each in turn. */
    int nextSource(int count) {
        int index = sourceCursor % count; // count may change with a reload
        sourceCursor = index + 1;
        return index;
    }

    void release() {
        connections--;
    }

    int connections() {
        return connections;
    }

    /** Connect times to this service's real servers on this loop (kept across stop/listen, as the share is). */
    ConnectLatency connectLatency() {
        return connectLatency;
    }

    private void logRefusal(int maxConnections) {
        long now = System.nanoTime();
        if (!refusalLogged || now - lastRefusalLog >= REFUSAL_LOG_INTERVAL_NANOS) {
            refusalLogged = true;
            lastRefusalLog = now;
            LOG.warn("lbd: service {} reached maxconns={}; {}", key, maxConnections,
                    key.protocol() == Protocol.UDP
                            ? "dropping datagrams from new clients (a flow per client address:port), open flows go on"
                            : "refusing new connections");
        }
    }
}
