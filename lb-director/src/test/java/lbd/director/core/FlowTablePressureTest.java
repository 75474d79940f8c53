package lbd.director.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import lbd.dataplane.dr.DrStats;
import lbd.dataplane.dr.FlowOccupancy;
import org.junit.jupiter.api.Test;

/**
 * A full DR flow table is told in one line per interval, with what the interval's flood cost: UDP flows and
 * half-open connections evicted, new flows dropped; an interval without any says nothing.
 */
class FlowTablePressureTest {

    private static final List<FlowOccupancy> TABLES = List.of(new FlowOccupancy(0, 1024, 1024),
            new FlowOccupancy(1, 1024, 1024));

    @Test
    void oneLinePerIntervalWithWhatChangedAndNoneWhenNothingDid() {
        Logger log = new LoggerContext().getLogger("lbd");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        FlowTablePressure pressure = new FlowTablePressure(log);

        pressure.report(counters(0, 0, 0), TABLES);
        assertThat(logged.list).isEmpty();
        pressure.report(counters(98_977, 1, 0), TABLES); // a flood of 100,000 source ports in one interval
        pressure.report(counters(98_977, 1, 0), TABLES);
        pressure.report(counters(100_000, 1, 5), TABLES);
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "direct routing: flow tables full (1024 flows per worker) in the last 10 s: 98977 UDP flows of at"
                        + " most 8 datagrams and 1 half-open connections evicted to make room for new ones, 0 new"
                        + " flows dropped (no entry left to evict: all established, or UDP flows past 8 datagrams)",
                "direct routing: flow tables full (1024 flows per worker) in the last 10 s: 1023 UDP flows of at"
                        + " most 8 datagrams and 0 half-open connections evicted to make room for new ones, 5 new"
                        + " flows dropped (no entry left to evict: all established, or UDP flows past 8 datagrams)");
    }

    private static Map<String, Long> counters(long udpEvicted, long halfOpenEvicted, long dropped) {
        return Map.of(DrStats.name(DrStats.UDP_EVICTED), udpEvicted,
                DrStats.name(DrStats.HALF_OPEN_EVICTED), halfOpenEvicted,
                DrStats.name(DrStats.FLOW_TABLE_FULL), dropped);
    }
}
