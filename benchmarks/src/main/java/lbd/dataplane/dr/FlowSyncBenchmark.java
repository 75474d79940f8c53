package lbd.dataplane.dr;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import lbd.dataplane.table.Egress;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.dr.flow.FlowChangeRing;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.packet.FrameParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the connection sync costs a new DR connection in CPU: the worker's part (its table tells the change ring
 * when the connection becomes ESTABLISHED; the ring copies the 32-byte record) and the sync thread's (draining the
 * ring into a batch, and per full batch of 33 records the HMAC-SHA1 over its 1,100 bytes that SyncCodec computes;
 * the send itself is one sendto per batch, not measured here). Each op is one connection's life in the table:
 * insert, SYN, ACK, removal. {@link #newConnection} is the same without the sync (the ring off): the difference
 * is the sync's. Run with {@code -prof gc}: B/op is 0 on both.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FlowSyncBenchmark {

    private static final int VIP = 0xC612000A;
    private static final Egress SAME_LINK = Egress.sameLink(0xabc); // built once: no allocation per connection

    private FlowTable table;
    private FlowTable synced;
    private FlowChangeRing ring;
    private final ByteBuffer batch = ByteBuffer.allocate(1100);
    private final FlowRecords.Writer writer = new FlowRecords.Writer();
    private final byte[] signature = new byte[20];
    private Mac mac;
    private DestinationCounters counters;
    private int client;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        VirtualServiceKey service = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.10", 80));
        counters = new DestinationCounters(new RealServerKey(service, Endpoint.of("198.18.1.2", 80)));
        table = new FlowTable(1 << 16, 0);
        synced = new FlowTable(1 << 16, 0);
        ring = new FlowChangeRing(1 << 14);
        synced.changeListener(ring);
        ring.enable();
        mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec("HI!".getBytes(), "HmacSHA1"));
        writer.wrap(batch, 0, batch.capacity(), 0);
    }

    @Benchmark
    public int newConnection() {
        return connection(table);
    }

    @Benchmark
    public int newConnectionWithSync() throws Exception {
        int e = connection(synced);
        ring.drainTo(writer);
        if (writer.remaining() < FlowRecords.recordLength(false)) {
            int length = writer.finish();
            mac.update(batch.array(), 0, length);
            mac.doFinal(signature, 0);
            writer.wrap(batch, 0, batch.capacity(), 0);
        }
        return e;
    }

    private int connection(FlowTable t) {
        client++;
        int e = t.insert(0xC6130000 + client, 1000 + (client & 0x7fff), VIP, 80, SAME_LINK, counters, 1);
        t.onPacket(e, FrameParser.TCP_SYN, 60, 1);
        t.onPacket(e, FrameParser.TCP_ACK, 52, 2);
        t.remove(e, 3);
        return e;
    }
}
