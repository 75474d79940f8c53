package lbd.director.ha;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 */
public final class HaNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");
    private static final long DROP_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int LEAVING_MESSAGES = 3;

    private final HaConfig config;
    private final VipOwnership vips;
    private final List<SocketAddress> destinations;
    private final DatagramSocket socket;
    private final HeartbeatCodec codec;
    private final ReplayGuard replayGuard = new ReplayGuard();
    private final HaStateMachine machine;
    private final RateLimitedLog dropLog = new RateLimitedLog(log, DROP_LOG_INTERVAL_NANOS);
    private final long keepaliveNanos;
    private final long generation = System.currentTimeMillis();
    private final Thread thread;
    private final AtomicBoolean stopRequested = new AtomicBoolean();

    // ---- owned by the HA thread ----
    private final ByteBuffer out = ByteBuffer.allocate(HeartbeatCodec.MAX_LENGTH);
    private final byte[] in = new byte[Math.max(HeartbeatCodec.MAX_LENGTH, SyncCodec.MAX_DATAGRAM)];
    private long peerGeneration; // the peer's run whose heartbeats arrive; a new one means it restarted
    private long sequence;
    private long nextSendNanos;
    private long transitions;
    private long dropped;
    private Instant since = Instant.now();
    private String reason = "starting: waiting for the peer";

    private volatile HaStatus status;
    private final PeerSync sync;

    private HaNode(HaConfig config, VipOwnership vips, List<SocketAddress> destinations, DatagramSocket socket,
                   PeerSync sync) {
        this.sync = sync;
        this.config = config;
        this.vips = vips;
        this.destinations = List.copyOf(destinations);
        this.socket = socket;
        this.codec = new HeartbeatCodec(config.keys());
        this.keepaliveNanos = config.cf().keepalive().toNanos();
        this.machine = new HaStateMachine(config, System.nanoTime());
        publish();
        this.thread = Thread.ofPlatform().name("lbd-ha").daemon(true).unstarted(this::run);
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
        DatagramSocket socket = open(config);
        HaNode node = new HaNode(config, vips, destinations, socket, sync);
        vips.release();
        log.info("HA: node {} starts as backup; peer {}; keepalive {}, deadtime {}, initdead {}, auto_failback {}; VIPs {}",
                config.self(), config.peer(), HeartbeatTime.format(config.cf().keepalive()),
                HeartbeatTime.format(config.cf().deadtime()), HeartbeatTime.format(config.cf().initdead()),
                config.cf().autoFailback() ? "on" : "off", vips.describe());
        node.thread.start();
        return node;
    }

    private static DatagramSocket open(HaConfig config) {
        int port = config.cf().udpport();
        try {
            DatagramSocket s;
            List<HeartbeatMedium.Multicast> mcast = config.cf().media().stream()
                    .filter(m -> m instanceof HeartbeatMedium.Multicast).map(m -> (HeartbeatMedium.Multicast) m).toList();
            if (mcast.isEmpty()) {
                s = new DatagramSocket(null);
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(port));
            } else {
                MulticastSocket ms = new MulticastSocket(null);
                ms.setReuseAddress(true);
                ms.bind(new InetSocketAddress(port));
                for (HeartbeatMedium.Multicast m : mcast) {
                    NetworkInterface nic = NetworkInterface.getByName(m.interfaceName());
                    if (nic == null) {
                        ms.close();
                        throw new HaConfigException("ha.cf: mcast " + m.interfaceName() + ": no such interface here");
                    }
                    ms.joinGroup(new InetSocketAddress(m.group(), 0), nic);
                    ms.setOption(StandardSocketOptions.IP_MULTICAST_IF, nic);
                    ms.setTimeToLive(m.ttl());
                    ms.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, m.loop());
                }
                s = ms;
            }
            s.setBroadcast(true);
            long tickMillis = Math.clamp(config.cf().keepalive().toMillis() / 10, 5, 50);
            s.setSoTimeout((int) tickMillis);
            return s;
        } catch (IOException e) {
            throw new HaConfigException("ha.cf: cannot listen for heartbeats on UDP port " + port + ": " + e.getMessage()
                    + " (another heartbeat or lbd running? udpport below 1024 needs root)");
        }
    }

    /** The current state, for lbadm and metrics; any thread. */
    public HaStatus status() {
        return status;
    }

    public HaConfig config() {
        return config;
    }

    private void run() {
        DatagramPacket packet = new DatagramPacket(in, in.length);
        nextSendNanos = System.nanoTime();
        try {
            while (!stopRequested.get()) {
                try {
                    packet.setLength(in.length);
                    socket.receive(packet);
                    onDatagram(packet, System.nanoTime());
                } catch (SocketTimeoutException e) {
                    // a tick
                }
                long now = System.nanoTime();
                apply(machine.onTick(now));
                if (now - nextSendNanos >= 0) {
                    send(machine.role());
                    nextSendNanos = Math.max(nextSendNanos + keepaliveNanos, now + keepaliveNanos / 2);
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
            socket.close();
        }
    }

    private void onDatagram(DatagramPacket packet, long now) {
        String from = packet.getAddress().getHostAddress();
        if (SyncCodec.isSync(in, packet.getLength())) {
            if (sync != null) {
                sync.received(in, packet.getLength(), from);
            }
            return;
        }
        switch (codec.decode(ByteBuffer.wrap(in, 0, packet.getLength()))) {
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
        for (SocketAddress to : destinations) {
            try {
                socket.send(new DatagramPacket(out.array(), out.limit(), to));
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
        for (SocketAddress to : destinations) {
            try {
                socket.send(new DatagramPacket(data, length, to));
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

    /** Leaves cleanly: releases the VIPs, tells the peer, stops. Bounded; safe to call twice. */
    @Override
    public void close() {
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
