package lbd.dataplane.dr;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;

/**
 * The DR state of a data plane in and out as {@link FlowRecords} messages: everything it knows for a save, an
 * upgrade or a backup director's resync ({@link #export}), and one message of another process's or director's
 * state taken in ({@link #importMessage}). Control plane; the workers' tables are read by the workers themselves
 * (each answers between two batches), the templates and the inherited connections under their own locks.
 */
public final class FlowHandOver {

    /** Room for one message: the format's bound. */
    public static final int MESSAGE_BUFFER = FlowRecords.MAX_MESSAGE_LENGTH;
    private static final int WORKER_CHUNK = 1 << 20;

    private FlowHandOver() {
    }

    /**
     * What went out or came in.
     *
     * @param flows      connections written, or taken in
     * @param templates  persistence templates written, or taken in
     * @param left       not taken in: timed out since they were written, of a service or real server this
     *                   configuration does not have, or beyond the capacity; on export, the flows of workers that
     *                   did not answer in time
     */
    public record Counts(int flows, int templates, int left) {
        public Counts plus(Counts o) {
            return new Counts(flows + o.flows, templates + o.templates, left + o.left);
        }
    }

    /**
     * Hands every connection the plane forwards (each worker's, and those inherited and not yet taken) and every
     * live persistence template of its services to {@code sink}, one message at a time (the buffer from position
     * 0 to its limit; reused once {@code sink} returns). A worker that does not answer within {@code wait} is
     * left out (its flows counted as left).
     */
    public static Counts export(DrDataPlane plane, Consumer<ByteBuffer> sink, Duration wait) {
        return export(plane, sink, wait, MESSAGE_BUFFER);
    }

    /** As above, in messages of at most {@code messageBytes} (a datagram's payload). */
    public static Counts export(DrDataPlane plane, Consumer<ByteBuffer> sink, Duration wait, int messageBytes) {
        ByteBuffer buffer = ByteBuffer.allocate(messageBytes);
        // A worker answers between two batches (up to its 50 ms idle poll): it fills about 1 MiB of messages per ask.
        ByteBuffer chunk = ByteBuffer.allocate(Math.max(1, WORKER_CHUNK / messageBytes) * messageBytes);
        int flows = 0;
        int left = 0;
        for (DrWorker w : plane.workers()) {
            int cursor = 0;
            try {
                while (cursor >= 0) {
                    chunk.clear();
                    cursor = w.exportFlows(chunk, messageBytes, cursor).get(wait.toNanos(), TimeUnit.NANOSECONDS);
                    int end = chunk.limit();
                    for (int at = 0; at < end; ) {
                        int length = chunk.getInt(at + 8);
                        int n = chunk.getShort(at + 6) & 0xffff;
                        if (n > 0) {
                            flows += n;
                            sink.accept(chunk.limit(at + length).position(at));
                        }
                        chunk.limit(end);
                        at += length;
                    }
                }
            } catch (ExecutionException | TimeoutException e) {
                left += w.flowCount();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                left += w.flowCount();
            }
        }
        long now = nowMillis();
        long wall = System.currentTimeMillis();
        FlowRecords.Writer writer = new FlowRecords.Writer();
        Out out = new Out(buffer, writer, sink, wall);
        out.start();
        plane.inherited().forEach((ch, cl, cport, vh, vl, vport, udp, server, state, controlled, deadline) -> {
            long[] a = addresses(server);
            out.flow(ch, cl, cport, vh, vl, vport, a[0], a[1], server.address().port(), state, deadline - now,
                    controlled, udp);
        });
        flows += out.written;
        out.written = 0;
        DataPlaneSnapshot snapshot = plane.publisher().current();
        // TCP services' templates first, then UDP services' in messages of their own: an lbd from before UDP templates
        // refuses a message that holds one whole, and so loses no TCP record with it (a downgrade).
        for (Protocol protocol : new Protocol[] {Protocol.TCP, Protocol.UDP}) {
            Set<VirtualServiceKey> done = new HashSet<>();
            for (ServiceTable t : snapshot.services().values()) {
                if (t.key().protocol() != protocol || t.persistence().isEmpty() || !done.add(t.key())
                        || !isGate(snapshot.directRouting(), t.key())) {
                    continue;
                }
                boolean udp = protocol == Protocol.UDP;
                Persistence p = t.persistence().get();
                InetAddress vip = t.key().address().address();
                long vh = FlowRecords.high(vip);
                long vl = FlowRecords.low(vip);
                boolean ipv4 = vh == FlowTable.IPV4;
                p.templates().forEachLiveWithTimeout(now, (hi, lo, server, expires, timeout) -> {
                    long[] a = addresses(server);
                    out.template(ipv4 ? FlowTable.IPV4 : hi, lo, p.prefixLength(), vh, vl, t.key().address().port(),
                            a[0], a[1], server.address().port(), expires, timeout, udp);
                });
            }
            out.flush();
        }
        return new Counts(flows, out.written, left);
    }

    /**
     * Takes in one message, checked by {@code r} ({@link FlowRecords.Reader#wrap} said it is sound), that was
     * written {@code ageMillis} ago: its connections wait in the plane's {@link InheritedFlows} for their first
     * packet, with what is left of their timers; its templates join their services' templates.
     */
    public static Counts importMessage(DrDataPlane plane, FlowRecords.Reader r, long ageMillis) {
        return importMessage(plane.publisher(), plane.inherited(), r, ageMillis);
    }

    /** As above, into {@code inherited}, for the services {@code publisher} publishes. */
    static Counts importMessage(SnapshotPublisher publisher, InheritedFlows inherited, FlowRecords.Reader r,
                                long ageMillis) {
        long now = nowMillis();
        DataPlaneSnapshot snapshot = publisher.current();
        Map<RealServerKey, RealServerKey> servers = new HashMap<>();
        int flows = 0;
        int templates = 0;
        int left = 0;
        while (r.next()) {
            long remaining = r.remainingMillis() - Math.max(0, ageMillis);
            // A record names its protocol (a UDP flow, or a UDP service's template): TCP and UDP services on one
            // VIP:port are two.
            VirtualServiceKey asked = new VirtualServiceKey(r.udp() ? Protocol.UDP : Protocol.TCP,
                    new Endpoint(FlowRecords.address(r.vipHigh(), r.vipLow()), r.virtualPort()));
            ServiceTable table = snapshot.service(asked);
            if (remaining <= 0 || table == null || !isGate(snapshot.directRouting(), asked)) {
                left++;
                continue;
            }
            RealServerKey server = servers.computeIfAbsent(new RealServerKey(table.key(),
                    new Endpoint(FlowRecords.address(r.serverHigh(), r.serverLow()), r.serverPort())), k -> k);
            if (r.type() == FlowRecords.FLOW) {
                if (inherited.put(r.clientHigh(), r.clientLow(), r.clientPort(), r.vipHigh(), r.vipLow(),
                        r.virtualPort(), r.udp(), server, r.state(), r.controlled(), now + remaining)) {
                    flows++;
                } else {
                    left++;
                }
            } else {
                Persistence p = table.persistence().orElse(null);
                if (p == null || p.prefixLength() != r.prefixLength()) {
                    left++; // no longer persistent, or another netmask: its client networks are other ones
                    continue;
                }
                long hi = r.ipv4() ? 0 : r.clientHigh();
                p.templates().adopt(hi, r.clientLow(), server, now, remaining, r.timeoutMillis());
                templates++;
            }
        }
        return new Counts(flows, templates, left);
    }

    /** Whether {@code key} is one of the gate services the DR workers forward. */
    private static boolean isGate(DrDirectory d, VirtualServiceKey key) {
        boolean udp = key.protocol() == Protocol.UDP;
        InetAddress a = key.address().address();
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            int number = d.vip6Number(Net.ipv6Half(b, 0), Net.ipv6Half(b, 1));
            return number >= 0 && d.service6(number, key.address().port(), udp) != null;
        }
        return d.service(Net.ipv4(a.getAddress()), key.address().port(), udp) != null;
    }

    private static long[] addresses(RealServerKey server) {
        InetAddress rip = server.address().address();
        return new long[] {FlowRecords.high(rip), FlowRecords.low(rip)};
    }

    /** The workers' clock: monotonic milliseconds. */
    static long nowMillis() {
        return System.nanoTime() / 1_000_000;
    }

    /** Messages filled one after another, each handed to the sink when full. */
    private static final class Out {
        private final ByteBuffer buffer;
        private final FlowRecords.Writer writer;
        private final Consumer<ByteBuffer> sink;
        private final long wallMillis;
        int written;

        Out(ByteBuffer buffer, FlowRecords.Writer writer, Consumer<ByteBuffer> sink, long wallMillis) {
            this.buffer = buffer;
            this.writer = writer;
            this.sink = sink;
            this.wallMillis = wallMillis;
        }

        void start() {
            buffer.clear();
            writer.wrap(buffer, 0, buffer.capacity(), wallMillis);
        }

        void flow(long ch, long cl, int cport, long vh, long vl, int vport, long sh, long sl, int sport, byte state,
                  long remaining, boolean controlled, boolean udp) {
            if (remaining <= 0) {
                return;
            }
            if (!writer.flow(ch, cl, cport, vh, vl, vport, sh, sl, sport, state, remaining, controlled, udp)) {
                flush();
                writer.flow(ch, cl, cport, vh, vl, vport, sh, sl, sport, state, remaining, controlled, udp);
            }
            written++;
        }

        void template(long hi, long lo, int prefix, long vh, long vl, int vport, long sh, long sl, int sport,
                      long remaining, long timeout, boolean udp) {
            if (!writer.template(hi, lo, prefix, vh, vl, vport, sh, sl, sport, remaining, timeout, udp)) {
                flush();
                writer.template(hi, lo, prefix, vh, vl, vport, sh, sl, sport, remaining, timeout, udp);
            }
            written++;
        }

        void flush() {
            if (writer.count() > 0) {
                buffer.limit(writer.finish()).position(0);
                sink.accept(buffer);
            }
            start();
        }
    }
}
