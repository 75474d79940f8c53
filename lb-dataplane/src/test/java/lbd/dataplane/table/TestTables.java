package lbd.dataplane.table;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;

/** Builds small tables for tests: server {@code i} is 198.18.0.(i+1):80, named A, B, C... */
public final class TestTables {

    public static final VirtualServiceKey SERVICE = service(80);

    private TestTables() {
    }

    public static VirtualServiceKey service(int port) {
        return new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.255.1", port));
    }

    /** Real server number {@code n} (0 = A) of {@link #SERVICE}. */
    public static RealServerKey server(int n) {
        return server(SERVICE, n);
    }

    public static RealServerKey server(VirtualServiceKey service, int n) {
        return new RealServerKey(service, Endpoint.of("198.18." + (n / 250) + "." + (n % 250 + 1), 80));
    }

    /** A table of servers 0..n-1 in that list order with the given weights. */
    public static ServiceTable table(SchedulerKind kind, int... weights) {
        List<RealServerKey> keys = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            keys.add(server(i));
        }
        return table(SERVICE, kind, keys, weights);
    }

    /** A table of the given servers, in that list order, with the given weights. */
    public static ServiceTable table(VirtualServiceKey service, SchedulerKind kind, List<RealServerKey> keys,
                                     int... weights) {
        List<Destination> list = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            list.add(new Destination(i, keys.get(i), ForwardingMethod.MASQ, weights[i]));
        }
        return new ServiceTable(service, kind, list, Optional.empty(), 0, Duration.ofSeconds(1),
                Duration.ofSeconds(60));
    }

    public static DestinationCounters[] counters(int n) {
        DestinationCounters[] counters = new DestinationCounters[n];
        for (int i = 0; i < n; i++) {
            counters[i] = new DestinationCounters();
        }
        return counters;
    }

    /** Sets a counter to {@code active} established and {@code inactive} other connections. */
    public static DestinationCounters withConnections(DestinationCounters c, int active, int inactive) {
        for (int i = 0; i < active + inactive; i++) {
            c.connectionScheduled();
        }
        for (int i = 0; i < active; i++) {
            c.connectionEstablished();
        }
        return c;
    }

    /** The letter of an index: 0 = A. */
    public static String name(int index) {
        return index < 0 ? "-" : String.valueOf((char) ('A' + index));
    }
}
