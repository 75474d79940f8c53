package lbd.bench.sched;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/** Tables and counters for the scheduler benchmarks (built in setup, never in the measured code). */
final class BenchTables {

    static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.255.1", 80));

    private BenchTables() {
    }

    /** {@code servers} real servers with weights 1..5 (varied, so wrr makes several passes), seeded. */
    static ServiceTable table(SchedulerKind kind, int servers, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Destination> list = new ArrayList<>(servers);
        for (int i = 0; i < servers; i++) {
            RealServerKey key = new RealServerKey(SERVICE,
                    Endpoint.of("198.18." + (i / 250) + "." + (i % 250 + 1), 80));
            list.add(new Destination(i, key, ForwardingMethod.MASQ, 1 + random.nextInt(5)));
        }
        return new ServiceTable(SERVICE, kind, list, Optional.empty(), 0, Duration.ofSeconds(3),
                Duration.ofSeconds(900));
    }

    /** Counters with a plausible spread of open connections, so lc/wlc compare real numbers. */
    static DestinationCounters[] counters(int servers, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        DestinationCounters[] counters = new DestinationCounters[servers];
        for (int i = 0; i < servers; i++) {
            DestinationCounters c = new DestinationCounters();
            int active = random.nextInt(50);
            int inactive = random.nextInt(200);
            for (int k = 0; k < active + inactive; k++) {
                c.connectionScheduled();
            }
            for (int k = 0; k < active; k++) {
                c.connectionEstablished();
            }
            counters[i] = c;
        }
        return counters;
    }
}
