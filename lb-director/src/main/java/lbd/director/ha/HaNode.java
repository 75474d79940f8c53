package lbd.director.ha;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import lbd.director.unix.SeqPacketSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One director of an active/backup pair. A single platform thread ("lbd-ha") owns everything here: it sends a
 * signed heartbeat every keepalive to each ha.cf path, receives the peer's (dropping forged, replayed and unknown
 * ones, with rate-limited warnings), ticks the {@link HaStateMachine} every few milliseconds, and on each role
 * change acquires or releases the VIPs and tells the peer at once. Health checks and listeners run on both nodes
 * all the time, so a backup that takes over is already warm.
 *
 * <p>{@link #close()} is a clean leave: the VIPs are released first and the last heartbeats say LEAVING, so the
 * peer takes over without waiting deadtime (heartbeat's "gave up resources").
 *
 * <p>{@code lbd upgrade} hands the node to the new process instead ({@link #handOver}, {@link #continueFrom}): the
 * old one stops without leaving, and the new one carries on with the same role, the same heartbeat socket and the
 * same runs and sequences, so that the peer notices nothing.
 */
public final class HaNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");
    private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int LEAVING_MESSAGES = 3;
    /** The longest datagram the socket takes: a heartbeat or a sync datagram. */
    private static final int DATAGRAM = Math.max(HeartbeatCodec.MAX_LENGTH, SyncCodec.MAX_DATAGRAM);

    private final HaConfig config;
    private final VipOwnership vips;
    private final List<InetSocketAddress> destinations;
    private final HeartbeatSocket socket;
    private final int tickMillis;
    /** How often the active node makes sure its VIPs are still in place ({@link VipOwnership#keep()}). */
    static final long KEEP_VIPS_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
    private final HeartbeatCodec codec;
    private final ReplayGuard replayGuard = new ReplayGuard();
    private final HaStateMachine machine;
    private final RateLimitedLog dropLog = new RateLimitedLog(log, DROP_LOG_INTERVAL_NANOS);
    private final long keepaliveNanos;
    private volatile Thread thread;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    // lbd upgrade: the HA thread stops without leaving (the new process carries the node on), and close() after
    // it only closes this process's copy of the socket.
    private final AtomicBoolean pauseRequested = new AtomicBoolean();
    private volatile boolean paused;

    // ---- owned by the HA thread ----
    private final ByteBuffer out = ByteBuffer.allocate(HeartbeatCodec.MAX_LENGTH);
    private final byte[] in = new byte[DATAGRAM];
    private long peerGeneration; // the peer's run whose heartbeats arrive; a new one means it restarted
    private long generation = System.currentTimeMillis(); // this node's run (its start; a hand-over keeps it)
    private long sequence;
    private long nextSendNanos;
    private long nextKeepNanos;
    private long transitions;
    private long dropped;
    private Instant since = Instant.now();
    private String reason = "starting: waiting for the peer";

    private volatile HaStatus status;
    private final PeerSync sync;

    private HaNode(HaConfig config, VipOwnership vips, List<SocketAddress> destinations, HeartbeatSocket socket,
                   PeerSync sync, long startNanos) {
        this.sync = sync;
        this.config = config;
        this.vips = vips;
        this.destinations = destinations.stream().map(d -> (InetSocketAddress) d).toList();
        this.socket = socket;
        this.tickMillis = (int) Math.clamp(config.cf().keepalive().toMillis() / 10, 5, 50);
        this.codec = new HeartbeatCodec(config.keys());
        this.keepaliveNanos = config.cf().keepalive().toNanos();
        this.machine = new HaStateMachine(config, startNanos);
        publish();
        this.thread = newThread();
    }

    private Thread newThread() {
        return Thread.ofPlatform().name("lbd-ha").daemon(true).unstarted(this::run);
    }

    /**
     * Binds the heartbeat port, clears VIPs a killed previous run may have left, and starts as BACKUP.
     *
     * @param destinations where heartbeats are sent (from ha.cf's media)
     * @throws HaConfigException when the heartbeat port cannot be bound
     */
    public static HaNode start(HaConfig config, VipOwnership vips, List<SocketAddress> destinations) {
        return start(config, vips, destinations, null);
    }

    /** As above; {@code sync} (may be null) hears of sync datagrams, role changes and the peer (re)joining. */
    public static HaNode start(HaConfig config, VipOwnership vips, List<SocketAddress> destinations, PeerSync sync) {
        HeartbeatSocket socket = open(config);
        HaNode node = new HaNode(config, vips, destinations, socket, sync, System.nanoTime());
        vips.release();
        log.info("HA: node {} starts as backup; peer {}; keepalive {}, deadtime {}, initdead {}, auto_failback {}; VIPs {}",
                config.self(), config.peer(), HeartbeatTime.format(config.cf().keepalive()),
                HeartbeatTime.format(config.cf().deadtime()), HeartbeatTime.format(config.cf().initdead()),
                config.cf().autoFailback() ? "on" : "off", vips.describe());
        node.thread.start();
        return node;
    }

    private static HeartbeatSocket open(HaConfig config) {
        int port = config.cf().udpport();
        List<HeartbeatSocket.Membership> groups = config.cf().media().stream()
                .filter(m -> m instanceof HeartbeatMedium.Multicast).map(m -> (HeartbeatMedium.Multicast) m)
                .map(m -> new HeartbeatSocket.Membership(m.interfaceName(), m.group(), m.ttl(), m.loop())).toList();
        try {
            return HeartbeatSocket.open(port, groups, DATAGRAM);
        } catch (IOException e) {
            throw new HaConfigException("ha.cf: cannot listen for heartbeats on UDP port " + port + ": " + e.getMessage()
                    + " (another heartbeat or lbd running? udpport below 1024 needs root)");
        }
    }

    /**
     * {@code lbd upgrade}, new process: carries on the node another process handed over ({@link #handOver}) — its
     * role (an active node's VIPs stay where they are: {@link VipOwnership#adopt}, no release, no announcement), what
     * it knew of the peer, its runs and sequences, and its heartbeat socket ({@code socketFd}, this process's now).
     * The peer sees the next heartbeat of the same run.
     */
    public static HaNode continueFrom(HaConfig config, VipOwnership vips, List<SocketAddress> destinations,
                                      PeerSync sync, HaHandOver state, int socketFd) {
        HeartbeatSocket socket;
        try {
            socket = HeartbeatSocket.adopt(socketFd, DATAGRAM);
        } catch (IOException e) {
            throw new HaConfigException("cannot take over the heartbeat socket: " + e.getMessage());
        }
        long now = System.nanoTime();
        HaNode node = new HaNode(config, vips, destinations, socket, sync,
                now - TimeUnit.MILLISECONDS.toNanos(state.startedAgoMillis()));
        node.machine.continueFrom(state.role(), state.peerState(), state.peerRole(),
                now - TimeUnit.MILLISECONDS.toNanos(state.heardAgoMillis()), state.warned());
        node.generation = state.generation();
        node.sequence = state.sequence();
        node.replayGuard.restore(config.peer(), state.peerHeartbeats());
        node.peerGeneration = state.peerHeartbeats() == null ? 0 : state.peerHeartbeats().generation();
        node.transitions = state.transitions();
        node.dropped = state.dropped();
        node.since = state.since();
        node.reason = state.reason();
        node.publish();
        if (state.role() == HaRole.ACTIVE) {
            vips.adopt();
        }
        log.info("HA: node {} carries on as {} (handed over by the lbd before; run {}, heartbeat {}); peer {} {}",
                config.self(), lower(state.role()), state.generation(), state.sequence() + 1, config.peer(),
                state.peerState().name().toLowerCase(java.util.Locale.ROOT));
        node.thread.start();
        return node;
    }

    /** The current state, for lbadm and metrics; any thread. */
    public HaStatus status() {
        return status;
    }

    public HaConfig config() {
        return config;
    }

    private void run() {
        nextSendNanos = System.nanoTime();
        try {
            while (!stopRequested.get()) {
                if (pauseRequested.get()) {
                    return; // handed over: no leave, the socket stays open (the new process has a copy)
                }
                HeartbeatSocket.Received received = socket.receive(in, tickMillis);
                if (received != null) {
                    onDatagram(received.length(), received.from().getHostAddress(), System.nanoTime());
                }
                long now = System.nanoTime();
                apply(machine.onTick(now));
                if (now - nextSendNanos >= 0) {
                    send(machine.role());
                    nextSendNanos = Math.max(nextSendNanos + keepaliveNanos, now + keepaliveNanos / 2);
                }
                if (machine.role() == HaRole.ACTIVE && now - nextKeepNanos >= 0) {
                    vips.keep(); // an ifdown/ifup of the VIP's interface removes it: put back and announced
                    nextKeepNanos = now + KEEP_VIPS_NANOS;
                }
            }
            apply(machine.leave("stopping: lbd is shutting down"));
            for (int i = 0; i < LEAVING_MESSAGES; i++) {
                send(HaRole.LEAVING);
            }
        } catch (IOException | RuntimeException e) {
            if (!stopRequested.get()) {
                log.error("HA: the heartbeat loop failed: {}; giving up the VIPs, the peer will take over", e.toString());
            }
            vips.release();
        } finally {
            if (!pauseRequested.get()) {
                socket.close();
            }
        }
    }

    private void onDatagram(int length, String from, long now) {
        if (SyncCodec.isSync(in, length)) {
            if (sync != null) {
                sync.received(in, length, from);
            }
            return;
        }
        switch (codec.decode(ByteBuffer.wrap(in, 0, length))) {
            case HeartbeatCodec.Decoded.Rejected r -> drop(r.reason().name(),
                    "HA: dropped a heartbeat from " + from + ": " + r.detail() + hint(r.reason()), now);
            case HeartbeatCodec.Decoded.Accepted a -> {
                HeartbeatMessage m = a.message();
                if (m.node().equals(config.self())) {
                    return; // our own broadcast or multicast, looped back
                }
                if (!m.node().equals(config.peer())) {
                    drop("unknown-node", "HA: dropped a heartbeat from " + from + " for node '" + m.node()
                            + "', which is not in ha.cf's node lines (" + config.self() + ", " + config.peer() + ")", now);
                    return;
                }
                switch (replayGuard.check(m)) {
                    case FRESH -> {
                        if (m.generation() != peerGeneration) {
                            if (peerGeneration != 0 && sync != null) {
                                sync.peerJoined(); // restarted within deadtime: alive all along, yet empty
                            }
                            peerGeneration = m.generation();
                        }
                        apply(machine.onHeartbeat(m.role(), now));
                        if (status.peerRole() != machine.peerRole()) {
                            publish(); // the peer changed role without changing ours
                        }
                    }
                    case DUPLICATE -> log.debug("HA: duplicate heartbeat {} from {} (several paths)", m.sequence(), m.node());
                    case STALE_SEQUENCE, STALE_GENERATION -> drop("replay", "HA: dropped a replayed heartbeat from "
                            + from + " claiming to be " + m.node() + " (run " + m.generation() + ", sequence " + m.sequence()
                            + ": not newer than what was already received)", now);
                }
            }
        }
    }

    private static String hint(HeartbeatCodec.Rejection r) {
        return switch (r) {
            case BAD_SIGNATURE, UNKNOWN_KEY -> "; authkeys must be the same on both nodes";
            default -> "";
        };
    }

    private void drop(String key, String message, long now) {
        dropped++;
        dropLog.warn(key, message, now);
        publish();
    }

    private void apply(List<HaEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        boolean roleChanged = false;
        for (HaEvent e : events) {
            switch (e) {
                case HaEvent.RoleChanged rc -> {
                    // One line per transition, the same key-value pairs in every log format.
                    log.atInfo().addKeyValue("event", "ha").addKeyValue("node", config.self())
                            .addKeyValue("from", lower(rc.from())).addKeyValue("to", lower(rc.to()))
                            .addKeyValue("peer", config.peer()).addKeyValue("reason", rc.reason())
                            .log("HA: {} -> {}: {}", lower(rc.from()), lower(rc.to()), rc.reason());
                    transitions++;
                    since = Instant.now();
                    reason = rc.reason();
                    roleChanged = true;
                    if (rc.to() == HaRole.ACTIVE) {
                        vips.acquire();
                        log.info("HA: {} is active and serving {}", config.self(), vips.describe());
                    } else if (rc.from() == HaRole.ACTIVE) {
                        vips.release();
                    }
                }
                case HaEvent.PeerChanged pc -> {
                    String state = pc.to() == PeerState.DEAD ? "dead" : "alive";
                    (pc.to() == PeerState.DEAD ? log.atWarn() : log.atInfo()).addKeyValue("event", "ha-peer")
                            .addKeyValue("node", config.self()).addKeyValue("peer", config.peer())
                            .addKeyValue("state", state).addKeyValue("reason", pc.reason())
                            .log("HA: node {} is {}: {}", config.peer(), state, pc.reason());
                    if (pc.to() != PeerState.DEAD && sync != null) {
                        sync.peerJoined();
                    }
                }
                case HaEvent.LateHeartbeat late -> log.warn("HA: late heartbeat from {}: {} ms since the last (warntime {}, deadtime {})",
                        late.peer(), late.silence().toMillis(), HeartbeatTime.format(config.cf().warntime()),
                        HeartbeatTime.format(config.cf().deadtime()));
            }
        }
        if (roleChanged && machine.role() != HaRole.LEAVING) {
            send(machine.role()); // tell the peer now, not at the next keepalive
        }
        publish();
    }

    private void send(HaRole role) {
        sequence++;
        out.clear();
        codec.encode(new HeartbeatMessage(config.self(), generation, sequence, role, System.currentTimeMillis()), out);
        out.flip();
        for (InetSocketAddress to : destinations) {
            try {
                socket.send(out.array(), out.limit(), to);
            } catch (IOException e) {
                dropLog.warn("send", "HA: cannot send a heartbeat to " + to + ": " + e.getMessage(), System.nanoTime());
            }
        }
    }

    /**
     * Any thread (the connection sync): sends {@code length} bytes of {@code data} on every heartbeat path, as a
     * heartbeat goes. A path that fails is reported with the heartbeats' rate-limited warning.
     */
    void sendToPeer(byte[] data, int length) {
        for (InetSocketAddress to : destinations) {
            try {
                socket.send(data, length, to);
            } catch (IOException e) {
                log.debug("HA: cannot send a sync datagram to {}: {}", to, e.getMessage());
            }
        }
    }

    private void publish() {
        status = new HaStatus(config.self(), machine.role(), since, reason, config.peer(), machine.peerState(),
                machine.peerRole(), transitions, dropped);
    }

    private static String lower(HaRole r) {
        return r.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** What {@link #handOver} gives the new process: the node's state, and a copy of its socket to send. */
    public record HandedOver(HaHandOver state, int socketFd) {
    }

    /**
     * {@code lbd upgrade}, old process: stops the node without leaving — no VIP released, no LEAVING said — once
     * the connection sync has sent what the DR workers (held by then) changed and taken in what the peer sent
     * ({@link PeerSync#pause}); returns where everything stands for {@link #continueFrom}, with a copy of the socket
     * (the caller sends it, then closes it). Datagrams that arrive from now on wait in the socket for the new
     * process. {@link #resume} undoes it when the new process goes away first.
     */
    public HandedOver handOver() {
        if (!pauseRequested.compareAndSet(false, true)) {
            throw new IllegalStateException("the HA node is handed over already");
        }
        join();
        PeerSync.Position position = sync == null ? PeerSync.Position.NONE : sync.pause();
        paused = true;
        long now = System.nanoTime();
        HaHandOver state = new HaHandOver(machine.role() == HaRole.ACTIVE ? HaRole.ACTIVE : HaRole.BACKUP,
                machine.peerState(), machine.peerRole(),
                TimeUnit.NANOSECONDS.toMillis(now - machine.lastHeardNanos()),
                TimeUnit.NANOSECONDS.toMillis(now - machine.startNanos()), machine.warned(),
                generation, sequence, replayGuard.window(config.peer()), position.generation(), position.sequence(),
                position.peer(), transitions, dropped, since, reason);
        log.info("HA: node {} handed over as {}: heartbeat run {} at {}, sync at {}", config.self(),
                lower(state.role()), generation, sequence, position.sequence());
        return new HandedOver(state, SeqPacketSocket.duplicates(socket.fd())[0]);
    }

    /**
     * After {@link #handOver}: the new process went away before it took over; this one carries on. As a new run
     * (the new process may have sent heartbeats and sync datagrams of the old one meanwhile, which the peer would
     * take these for replays of): the peer sees a restart and resyncs this node. The peer's deadtime counts from now.
     */
    public void resume() {
        if (!paused) {
            return;
        }
        generation = Math.max(System.currentTimeMillis(), generation + 1);
        machine.listeningAgain(System.nanoTime());
        if (sync != null) {
            sync.resume();
        }
        paused = false;
        pauseRequested.set(false);
        thread = newThread();
        thread.start();
        log.info("HA: node {} carries on as {} (the hand-over did not complete)", config.self(), lower(machine.role()));
    }

    private void join() {
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Leaves cleanly: releases the VIPs, tells the peer, stops. Bounded; safe to call twice. After a hand-over
     * ({@link #handOver}) it only closes this process's copy of the socket: the new process is the node now.
     */
    @Override
    public void close() {
        if (paused) {
            if (stopRequested.compareAndSet(false, true)) {
                socket.close();
                if (sync != null) {
                    sync.close();
                }
                log.info("HA: {} is carried on by the new lbd", config.self());
            }
            return;
        }
        if (stopRequested.compareAndSet(false, true)) {
            try {
                thread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (sync != null) {
                sync.close();
            }
            log.info("HA: {} left the pair", config.self());
        }
    }

    /** The connection sync's counters, or null when this node runs none. Any thread. */
    public ConnectionSync.Stats syncStats() {
        return sync == null ? null : sync.stats();
    }
}
