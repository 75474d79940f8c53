package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.TestTables;

/** Runs picks and spells them as letters: "AABABC". */
final class Picks {

    private Picks() {
    }

    static String sequence(Scheduler scheduler, ServiceTable table, DestinationCounters[] counters, int picks) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < picks; i++) {
            s.append(TestTables.name(scheduler.pick(table, counters)));
        }
        return s.toString();
    }

    static String sequence(Scheduler scheduler, ServiceTable table, int picks) {
        return sequence(scheduler, table, TestTables.counters(table.destinations().size()), picks);
    }
}
