package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.MaglevTableSize;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a start under cleanstop=no takes from the file the previous run left, and what it refuses, with why. */
class DrStateFileTest {

    private static final long VIP = 0xC612000AL; // 198.18.0.10
    private static final long RIP = 0xC6120102L; // 198.18.1.2
    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.10", 80));

    @TempDir
    Path dir;

    private final PersistenceTemplates templates = new PersistenceTemplates();
    private final SnapshotPublisher publisher = new SnapshotPublisher();
    private final InheritedFlows inherited = new InheritedFlows(1000);
    private final InheritedFlows.Claim claim = new InheritedFlows.Claim();

    DrStateFileTest() {
        RealServerKey server = new RealServerKey(SERVICE, Endpoint.of("198.18.1.2", 80));
        ServiceTable table = new ServiceTable(SERVICE, SchedulerKind.WLC,
                List.of(new Destination(0, server, ForwardingMethod.GATE, 1, 0xabc)), Optional.empty(), 0,
                Duration.ofSeconds(5), Duration.ofSeconds(900), Optional.of(new Persistence(300_000, 24, templates)),
                SchedulerFlags.NONE, MaglevTableSize.DEFAULT);
        publisher.publish(new DataPlaneSnapshot(1, Map.of(SERVICE, table), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(SERVICE), Set.of())));
    }

    /** A message written {@code ageMillis} ago with connections from client ports {@code from} on. */
    private static ByteBuffer message(long ageMillis, int from, int count, long remainingMillis) {
        ByteBuffer b = ByteBuffer.allocate(FlowRecords.MAX_MESSAGE_LENGTH);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(b, 0, b.capacity(), System.currentTimeMillis() - ageMillis);
        for (int i = 0; i < count; i++) {
            w.flow(FlowTable.IPV4, 0xC6130001L, from + i, FlowTable.IPV4, VIP, 80, FlowTable.IPV4, RIP, 80,
                    TcpStates.ESTABLISHED, remainingMillis, false);
        }
        w.template(FlowTable.IPV4, 0xC6130000L, 24, FlowTable.IPV4, VIP, 80, FlowTable.IPV4, RIP, 80, remainingMillis,
                300_000);
        return b.limit(w.finish());
    }

    private Path file(ByteBuffer... messages) throws Exception {
        Path f = dir.resolve("ldirectord.cf.dr-state");
        try (var out = Files.newByteChannel(f, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            for (ByteBuffer m : messages) {
                out.write(m);
            }
        }
        return f;
    }

    @Test
    void connectionsAndTemplatesComeBackWithWhatWasLeftOfTheirTimers() throws Exception {
        DrStateFile.Restored r = DrStateFile.restore(publisher, inherited, file(message(10_000, 1000, 50, 600_000),
                message(10_000, 2000, 50, 5_000)));
        assertThat(r.warnings()).isEmpty();
        assertThat(r.counts()).isEqualTo(new FlowHandOver.Counts(50, 1, 51)); // the second message's timers ran out
        long now = System.nanoTime() / 1_000_000;
        assertThat(inherited.take(FlowTable.IPV4, 0xC6130001L, 1000, FlowTable.IPV4, VIP, 80, now, claim)).isTrue();
        assertThat(claim.state()).isEqualTo(TcpStates.ESTABLISHED);
        assertThat(claim.deadlineMillis() - now).as("600 s written 10 s ago").isBetween(589_000L, 590_500L);
        assertThat(templates.serverOf(0, 0xC6130000L, now)).isEqualTo(claim.server());
    }

    @Test
    void aStaleFileIsIgnoredWithAWarning() throws Exception {
        DrStateFile.Restored r = DrStateFile.restore(publisher, inherited, file(message(7_200_000, 1000, 5, 900_000)));
        assertThat(r.counts().flows()).isZero();
        assertThat(r.warnings()).singleElement().asString()
                .startsWith("is stale: written 7200 s ago, every connection in it has timed out since");
    }

    @Test
    void aCorruptOrForeignMessageEndsTheRestoreThereWithAWarning() throws Exception {
        ByteBuffer good = message(0, 1000, 5, 60_000);
        ByteBuffer bad = message(0, 2000, 5, 60_000);
        bad.put(FlowRecords.HEADER_LENGTH, (byte) 9); // an unknown record type
        int at = good.limit();
        DrStateFile.Restored r = DrStateFile.restore(publisher, inherited, file(good, bad));
        assertThat(r.counts().flows()).isEqualTo(5);
        assertThat(r.warnings()).containsExactly("byte " + at + ": record 1 of 6: unknown record type 9; the rest of"
                + " the file is ignored");

        ByteBuffer other = message(0, 3000, 1, 60_000);
        other.put(4, (byte) 2);
        assertThat(DrStateFile.restore(publisher, new InheritedFlows(10), file(other)).warnings())
                .containsExactly("byte 0: format version 2 (this lbd reads version 1); the rest of the file is ignored");
        assertThat(DrStateFile.restore(publisher, new InheritedFlows(10), file(ByteBuffer.wrap(new byte[7])))
                .warnings()).singleElement().asString().startsWith("byte 0: truncated");
    }

    @Test
    void noFileRestoresNothingSilently() {
        DrStateFile.Restored r = DrStateFile.restore(publisher, inherited, dir.resolve("none"));
        assertThat(r.warnings()).isEmpty();
        assertThat(r.counts()).isEqualTo(new FlowHandOver.Counts(0, 0, 0));
    }
}
