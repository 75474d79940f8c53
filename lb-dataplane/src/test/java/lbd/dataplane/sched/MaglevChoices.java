package lbd.dataplane.sched;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.VirtualService;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.ServiceTableBuilder;
import lbd.dataplane.table.TestTables;

/**
 * What a director would do with an ldirectord.cf whose first service is mh: parses the file, builds the table as
 * the control plane does, and prints, for each of {@link #CLIENTS} client addresses (10.0.0.0 upward), the real
 * server mh sends it to. Run as its own process by {@link MaglevAcrossProcessesTest}.
 */
public final class MaglevChoices {

    static final int CLIENTS = 20_000;

    private MaglevChoices() {
    }

    public static void main(String[] args) {
        choices(Path.of(args[0])).forEach(System.out::println);
    }

    static List<String> choices(Path file) {
        ConfigResult result = ConfigLoader.load(file);
        if (!(result instanceof ConfigResult.Loaded loaded)) {
            throw new IllegalStateException(result.toString());
        }
        VirtualService vs = loaded.config().virtualServices().getFirst();
        ServiceTable table = ServiceTableBuilder.build(vs, Map.of(), Set.of());
        Scheduler mh = Schedulers.create(table.scheduler());
        DestinationCounters[] counters = TestTables.counters(table.destinations().size());
        List<String> out = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            int d = mh.pick(table, counters, (10 << 24) | i); // an IPv4 client's fold is its address
            out.add(i + " " + (d < 0 ? "-" : table.destinations().get(d).address()));
        }
        return out;
    }
}
