package lbd.dataplane.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.TestTables;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every scheduler skips a server flagged OVERLOAD for a new connection, as each of the kernel's ip_vs_*.c checks
 * IP_VS_DEST_F_OVERLOAD: the hashing ones (sh, mh, dh) then have no server for the clients that hash to it
 * (unless their fallback flag probes on), the others choose among the rest; with every server overloaded there is
 * none.
 */
class OverloadedServersTest {

    private static final int SERVERS = 4;

    @ParameterizedTest
    @EnumSource(SchedulerKind.class)
    void anOverloadedServerIsNeverChosenAndTheOthersStillAre(SchedulerKind kind) {
        ServiceTable table = TestTables.table(kind, 1, 1, 1, 1);
        DestinationCounters[] counters = TestTables.counters(SERVERS);
        overload(counters[1]);
        overload(counters[2]);
        Scheduler scheduler = Schedulers.create(kind);
        Set<Integer> chosen = new HashSet<>();
        for (int client = 0; client < 2_000; client++) {
            int pick = scheduler.pick(table, counters, client * 0x9E3779B9);
            chosen.add(pick);
        }
        assertThat(chosen).as(kind + ": B and C are overloaded").doesNotContain(1, 2);
        if (kind != SchedulerKind.DH) { // dh sends every connection of a VIP to one bucket's server
            assertThat(chosen).as(kind + ": A and D still take clients").containsAnyOf(0, 3);
        }
    }

    @ParameterizedTest
    @EnumSource(SchedulerKind.class)
    void withEveryServerOverloadedThereIsNone(SchedulerKind kind) {
        ServiceTable table = TestTables.table(kind, 1, 2, 3, 4);
        DestinationCounters[] counters = TestTables.counters(SERVERS);
        for (DestinationCounters c : counters) {
            overload(c);
        }
        Scheduler scheduler = Schedulers.create(kind);
        for (int client = 0; client < 200; client++) {
            assertThat(scheduler.pick(table, counters, client * 0x9E3779B9)).as(kind.configName()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SchedulerKind.class, names = {"SH", "MH"})
    void withTheFallbackFlagSourceHashingProbesPastAnOverloadedServer(SchedulerKind kind) {
        ServiceTable plain = TestTables.table(kind, 1, 1, 1, 1);
        ServiceTable fallback = new ServiceTable(plain.key(), kind, plain.destinations(), plain.fallback(), 0,
                plain.connectTimeout(), plain.idleTimeout(), plain.persistence(),
                new SchedulerFlags(true, false));
        DestinationCounters[] counters = TestTables.counters(SERVERS);
        overload(counters[0]);
        Scheduler withoutFlag = Schedulers.create(kind);
        Scheduler withFlag = Schedulers.create(kind);
        int homeless = 0;
        for (int client = 0; client < 2_000; client++) {
            int fold = client * 0x9E3779B9;
            if (withoutFlag.pick(plain, counters, fold) == -1) {
                homeless++;
                assertThat(withFlag.pick(fallback, counters, fold)).as("client %d", client).isBetween(1, 3);
            }
        }
        assertThat(homeless).as("clients of A, the overloaded server").isPositive();
    }

    /** An upper threshold of 1 and one connection: flagged. */
    private static void overload(DestinationCounters c) {
        c.limit(1, 0);
        c.connectionScheduled();
        assertThat(c.overloaded()).isTrue();
    }
}
