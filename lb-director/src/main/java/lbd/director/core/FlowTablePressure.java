package lbd.director.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import lbd.dataplane.dr.DrStats;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.dataplane.dr.flow.FlowTable;
import org.slf4j.Logger;

/**
 * The DR workers' flow tables running full (a SYN flood, a flood of new UDP source ports), told in one log line per
 * {@link #INTERVAL} at most: what made room (half-open connections and UDP flows of few datagrams evicted) and what
 * found none (new flows dropped as {@code flow-table-full}), from the workers' counters. The workers never log;
 * this reads their counters on the DR binding's thread. Nothing is logged for an interval in which nothing changed.
 */
final class FlowTablePressure {

    static final Duration INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private long halfOpenEvicted;
    private long udpEvicted;
    private long dropped;

    FlowTablePressure(Logger log) {
        this.log = log;
    }

    /** Once per {@link #INTERVAL}: logs what changed since the last call, if anything did. */
    void report(Map<String, Long> counters, List<FlowOccupancy> tables) {
        long halfOpen = counters.getOrDefault(DrStats.name(DrStats.HALF_OPEN_EVICTED), 0L);
        long udp = counters.getOrDefault(DrStats.name(DrStats.UDP_EVICTED), 0L);
        long full = counters.getOrDefault(DrStats.name(DrStats.FLOW_TABLE_FULL), 0L);
        long newHalfOpen = halfOpen - halfOpenEvicted;
        long newUdp = udp - udpEvicted;
        long newDropped = full - dropped;
        halfOpenEvicted = halfOpen;
        udpEvicted = udp;
        dropped = full;
        if (newHalfOpen == 0 && newUdp == 0 && newDropped == 0) {
            return;
        }
        int capacity = tables.isEmpty() ? 0 : tables.getFirst().capacity();
        log.warn("direct routing: flow tables full ({} flows per worker) in the last {} s: {} UDP flows of at most"
                + " {} datagrams and {} half-open connections evicted to make room for new ones, {} new flows"
                + " dropped (no entry left to evict: all established, or UDP flows past {} datagrams)", capacity,
                INTERVAL.toSeconds(), newUdp, FlowTable.UDP_EVICTABLE_DATAGRAMS, newHalfOpen,
                newDropped, FlowTable.UDP_EVICTABLE_DATAGRAMS);
    }
}
