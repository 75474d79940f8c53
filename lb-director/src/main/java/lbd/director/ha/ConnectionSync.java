package lbd.director.ha;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import lbd.dataplane.dr.DrDataPlane;
import lbd.dataplane.dr.FlowHandOver;
import lbd.dataplane.dr.flow.FlowChangeRing;
import lbd.dataplane.dr.flow.FlowRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection synchronisation between the two directors (what IPVS's sync daemon and keepalived's
 * lvs_sync_daemon do), over the heartbeat paths and signed with the heartbeat keys ({@link SyncCodec}).
 *
 * <p>A node streams its DR workers' changes ({@link FlowChangeRing}: a connection became ESTABLISHED,
 * started closing, or lived half its timeout since last sent) in batches of up to {@link SyncCodec#MAX_PAYLOAD}
 * bytes, sent when full or {@link #FLUSH} after their first record; when the peer (re)joins, it sends everything
 * it forwards, connections and persistence templates ({@link FlowHandOver#export}), whatever its role (a
 * node giving the VIPs back to a returning preferred node must hand it its connections first). Both within
 * {@link #BYTES_PER_SECOND}. Whichever node receives keeps the connections with their timers among the DR data
 * path's inherited ones; the moment it takes over, each carries on to its real server at its next packet. Both
 * nodes run the same code, so after a fail-back the sync goes the other way.
 *
 * <p>Threads: "lbd-sync" drains, batches and sends, and checks and takes in what arrived; the HA thread only copies
 * received datagrams into its inbox ({@link #received}), so that a resync never delays a heartbeat, and tells of
 * the peer (re)joining.
 */
public final class ConnectionSync implements PeerSync, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");
    /** The most bytes per second the sync sends (a resync of a million connections takes about 8 s). */
    static final long BYTES_PER_SECOND = 4L << 20;
    /** A batch waits at most this long for more records. */
    static final Duration FLUSH = Duration.ofMillis(20);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final Duration WORKER_WAIT = Duration.ofSeconds(2);
    /** Datagrams waiting to be taken in; beyond it they are dropped (and counted as rejected). */
    private static final int INBOX = 4096;

    /** What the sync did since start (metrics). */
    public record Stats(long recordsSent, long datagramsSent, long bytesSent, long recordsReceived,
                        long datagramsRejected, long changesDropped, long resyncs) {
    }

    private final HaConfig config;
    private final Supplier<DrDataPlane> plane;
    private final byte[] self;
    private volatile Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean pauseRequested = new AtomicBoolean(); // lbd upgrade: stop, the node changes hands
    private final AtomicBoolean resyncWanted = new AtomicBoolean();
    private volatile HaNode node;
    private final AtomicLong recordsSent = new AtomicLong();
    private final AtomicLong datagramsSent = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong recordsReceived = new AtomicLong();
    private final AtomicLong datagramsRejected = new AtomicLong();
    private final AtomicLong resyncs = new AtomicLong();

    // ---- the sync thread's ----
    private final SyncCodec sendCodec;
    private final ByteBuffer batch = ByteBuffer.allocate(SyncCodec.MAX_PAYLOAD);
    private final ByteBuffer datagram = ByteBuffer.allocate(SyncCodec.MAX_DATAGRAM);
    private final FlowRecords.Writer writer = new FlowRecords.Writer();
    private long generation = System.currentTimeMillis(); // this node's sync run (a hand-over keeps it)
    private long sequence;
    private long batchStartNanos;
    private double tokens = BYTES_PER_SECOND / 10.0;
    private long tokensAtNanos = System.nanoTime();
    private volatile DrDataPlane enabledOn; // read by stats() on the metrics thread

    // Datagrams the HA thread received, for the sync thread to check and take in (the heartbeat loop only copies).
    private final java.util.concurrent.ArrayBlockingQueue<Received> inbox =
            new java.util.concurrent.ArrayBlockingQueue<>(INBOX);
    private final AtomicLong inboxOverflows = new AtomicLong();

    private record Received(byte[] datagram, String from) {
    }

    // ---- the sync thread's, for what arrives ----
    private final SyncCodec receiveCodec;
    private final ReplayGuard replayGuard = new ReplayGuard();
    private final FlowRecords.Reader reader = new FlowRecords.Reader();
    private final RateLimitedLog dropLog = new RateLimitedLog(log, TimeUnit.SECONDS.toNanos(10));

    /** @param plane the DR data path when one runs (null before the first gate service) */
    public ConnectionSync(HaConfig config, Supplier<DrDataPlane> plane) {
        this.config = config;
        this.plane = plane;
        this.self = config.self().getBytes(StandardCharsets.UTF_8);
        this.sendCodec = new SyncCodec(config.keys());
        this.receiveCodec = new SyncCodec(config.keys());
        this.thread = newThread();
    }

    private Thread newThread() {
        return Thread.ofPlatform().name("lbd-sync").daemon(true).unstarted(this::run);
    }

    /** Starts sending through {@code node}'s heartbeat paths. */
    void start(HaNode node) {
        this.node = node;
        thread.start();
    }

    /**
     * {@code lbd upgrade}, new process, before {@link #start}: continues the sync stream the process before sent
     * (its run and sequence) and the peer's as it had received it, so that the peer sees the next datagram of the
     * same run, and a datagram taken in there is a replay here too.
     */
    void continueFrom(Position position) {
        generation = position.generation();
        sequence = position.sequence();
        replayGuard.restore(config.peer(), position.peer());
    }

    @Override
    public Position pause() {
        pauseRequested.set(true);
        LockSupport.unpark(thread);
        try {
            thread.join(WORKER_WAIT.multipliedBy(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Position(generation, sequence, replayGuard.window(config.peer()));
    }

    @Override
    public void resume() {
        generation = Math.max(System.currentTimeMillis(), generation + 1);
        pauseRequested.set(false);
        thread = newThread();
        thread.start();
    }

    public Stats stats() {
        long dropped = 0;
        DrDataPlane p = enabledOn;
        if (p != null) {
            for (FlowChangeRing r : p.changeRings()) {
                dropped += r.dropped();
            }
        }
        return new Stats(recordsSent.get(), datagramsSent.get(), bytesSent.get(), recordsReceived.get(),
                datagramsRejected.get(), dropped, resyncs.get());
    }

    // ---- from the HA thread ----

    @Override
    public void peerJoined() {
        resyncWanted.set(true);
    }

    @Override
    public void received(byte[] in, int length, String from) {
        if (inbox.offer(new Received(java.util.Arrays.copyOf(in, length), from))) {
            LockSupport.unpark(thread);
        } else {
            datagramsRejected.incrementAndGet();
            if (inboxOverflows.getAndIncrement() == 0) {
                log.warn("HA: connection sync: datagrams from {} arrive faster than they are taken in; dropped", from);
            }
        }
    }

    /** Sync thread: checks one datagram and takes its connections in. */
    private void takeIn(byte[] in, int length, String from) {
        switch (receiveCodec.decode(in, length)) {
            case SyncCodec.Decoded.Rejected r -> reject(r.reason().name(), "HA: dropped a sync datagram from " + from
                    + ": " + r.detail());
            case SyncCodec.Decoded.Accepted a -> {
                if (a.node().equals(config.self())) {
                    return; // our own, looped back by broadcast or multicast
                }
                if (!a.node().equals(config.peer())) {
                    reject("unknown-node", "HA: dropped a sync datagram from " + from + " for node '" + a.node()
                            + "', which is not in ha.cf's node lines");
                    return;
                }
                ReplayGuard.Verdict v = replayGuard.check(new HeartbeatMessage(a.node(), a.generation(),
                        a.sequence(), HaRole.ACTIVE, 0));
                if (v != ReplayGuard.Verdict.FRESH) {
                    if (v != ReplayGuard.Verdict.DUPLICATE) {
                        reject("replay", "HA: dropped a replayed sync datagram from " + from);
                    }
                    return;
                }
                DrDataPlane p = plane.get();
                String problem = reader.wrap(ByteBuffer.wrap(in), a.payloadOffset(), a.payloadLength());
                if (problem != null) {
                    reject("payload", "HA: dropped a sync datagram from " + from + ": " + problem);
                    return;
                }
                if (p != null) {
                    // The sender's timers are as of now: the datagram took a LAN's time to arrive.
                    recordsReceived.addAndGet(FlowHandOver.importMessage(p, reader, 0).flows());
                }
            }
        }
    }

    private void reject(String key, String message) {
        datagramsRejected.incrementAndGet();
        dropLog.warn(key, message, System.nanoTime());
    }

    // ---- the sync thread ----

    private void run() {
        startBatch();
        while (running.get()) {
            if (pauseRequested.get()) {
                handOff();
                return;
            }
            try {
                DrDataPlane p = plane.get();
                if (p == null) {
                    inbox.clear(); // no gate service here: nothing to keep
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    continue;
                }
                if (enabledOn != p) {
                    p.changeRings().forEach(FlowChangeRing::enable);
                    enabledOn = p;
                }
                int received = 0;
                for (Received r; (r = inbox.poll()) != null; received++) {
                    takeIn(r.datagram(), r.datagram().length, r.from());
                }
                if (resyncWanted.getAndSet(false)) {
                    resync(p);
                }
                int drained = 0;
                for (FlowChangeRing ring : p.changeRings()) {
                    int n;
                    while ((n = ring.drainTo(writer)) > 0) {
                        drained += n;
                        if (writer.remaining() < FlowRecords.recordLength(false)) {
                            sendBatch();
                        }
                    }
                    if (writer.remaining() < FlowRecords.recordLength(false)) {
                        sendBatch(); // full, and this ring has more
                    }
                }
                if (writer.count() > 0 && System.nanoTime() - batchStartNanos >= FLUSH.toNanos()) {
                    sendBatch();
                }
                if (drained == 0 && received == 0) {
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                }
            } catch (RuntimeException e) {
                log.error("HA: connection sync: {}", e.toString());
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    /**
     * The last round before the node changes hands (lbd upgrade): the DR workers are held, so what their rings hold
     * is all they changed — sent now; what the peer sent is taken in, so that the DR connections the old process
     * hands over include it. Later datagrams wait in the heartbeat socket for the new process.
     */
    private void handOff() {
        DrDataPlane p = plane.get();
        for (Received r; (r = inbox.poll()) != null; ) {
            takeIn(r.datagram(), r.datagram().length, r.from());
        }
        if (p != null) {
            for (FlowChangeRing ring : p.changeRings()) {
                // A record that does not fit stays in the ring: send the batch and go on, until a drain into an
                // empty batch takes nothing (the ring is empty).
                while (ring.drainTo(writer) > 0 || writer.count() > 0) {
                    sendBatch();
                }
            }
        }
        if (writer.count() > 0) {
            sendBatch();
        }
    }

    /** Everything this node forwards, to the peer that just (re)joined. */
    private void resync(DrDataPlane p) {
        if (writer.count() > 0) {
            sendBatch();
        }
        long start = System.nanoTime();
        long bytesBefore = bytesSent.get();
        long datagramsBefore = datagramsSent.get();
        FlowHandOver.Counts c = FlowHandOver.export(p, this::send, WORKER_WAIT, SyncCodec.MAX_PAYLOAD);
        recordsSent.addAndGet(c.flows() + c.templates());
        resyncs.incrementAndGet();
        log.info("HA: connection sync: sent {} DR connections and {} persistence templates to {} ({} bytes in {}"
                + " datagrams, {} ms)", c.flows(), c.templates(), config.peer(), bytesSent.get() - bytesBefore,
                datagramsSent.get() - datagramsBefore, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        startBatch();
    }

    private void startBatch() {
        batch.clear();
        writer.wrap(batch, 0, batch.capacity(), System.currentTimeMillis());
        batchStartNanos = System.nanoTime();
    }

    private void sendBatch() {
        int n = writer.count();
        batch.limit(writer.finish()).position(0);
        send(batch);
        recordsSent.addAndGet(n);
        startBatch();
    }

    /** Signs and sends one FlowRecords message (position..limit), within the bandwidth bound. */
    private void send(ByteBuffer message) {
        HaNode n = node;
        if (n == null) {
            return;
        }
        datagram.clear();
        sendCodec.encode(self, generation, ++sequence, message, datagram);
        int length = datagram.position();
        awaitTokens(length);
        n.sendToPeer(datagram.array(), length);
        datagramsSent.incrementAndGet();
        bytesSent.addAndGet(length);
    }

    private void awaitTokens(int bytes) {
        while (true) {
            long now = System.nanoTime();
            tokens = Math.min(BYTES_PER_SECOND / 10.0, tokens + (now - tokensAtNanos) * (BYTES_PER_SECOND / 1e9));
            tokensAtNanos = now;
            if (tokens >= bytes) {
                tokens -= bytes;
                return;
            }
            LockSupport.parkNanos((long) ((bytes - tokens) / BYTES_PER_SECOND * 1e9));
        }
    }

    @Override
    public void close() {
        if (running.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Stats s = stats();
            log.info("HA: connection sync: sent {} records in {} datagrams ({} bytes), received {}, {} rejected",
                    s.recordsSent(), s.datagramsSent(), s.bytesSent(), s.recordsReceived(), s.datagramsRejected());
        }
    }
}
