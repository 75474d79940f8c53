package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes in one JVM talking over loopback UDP (each on its own port). Deadtime is long (30 s) so that a role
 * change within the test's few seconds can only come from what the test does, never from a timeout.
 */
@Timeout(30)
class HaNodeTest {

    private static final String KEYS = "auth 1\n1 sha256 right-key\n";
    private final List<HaNode> nodes = new ArrayList<>();

    /** Records what the node asked for instead of touching interfaces. */
    static final class FakeVips implements VipOwnership {
        final AtomicInteger acquired = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();
        final AtomicInteger adopted = new AtomicInteger();
        final AtomicInteger kept = new AtomicInteger();

        @Override
        public boolean keep() {
            kept.incrementAndGet();
            return false;
        }

        @Override
        public void adopt() {
            adopted.incrementAndGet();
        }

        @Override
        public void acquire() {
            acquired.incrementAndGet();
        }

        @Override
        public void release() {
            released.incrementAndGet();
        }

        @Override
        public String describe() {
            return "fake";
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static HaConfig config(String self, int port, boolean autoFailback) {
        String peer = self.equals("a") ? "b" : "a";
        HaCf cf = new HaCf(Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(60),
                port, List.of(), autoFailback, List.of("a", "b"));
        AuthKeys keys = AuthKeys.parse("authkeys", KEYS, new ArrayList<>());
        HaResources res = new HaResources("a", List.of(), java.util.Optional.empty());
        return new HaConfig(self, peer, cf, keys, res, List.of());
    }

    private HaNode start(String self, int port, int peerPort, FakeVips vips) {
        SocketAddress peer = new InetSocketAddress(InetAddress.getLoopbackAddress(), peerPort);
        HaNode n = HaNode.start(config(self, port, false), vips, List.of(peer));
        nodes.add(n);
        return n;
    }

    @AfterEach
    void stop() {
        nodes.forEach(HaNode::close);
    }

    private static void sendTo(int port, AuthKeys keys, HeartbeatMessage m) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HeartbeatCodec.MAX_LENGTH);
        new HeartbeatCodec(keys).encode(m, b);
        b.flip();
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.send(new DatagramPacket(b.array(), b.limit(), new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
        }
    }

    @Test
    void pairSettlesIgnoresForgeriesAndHandsOverOnACleanLeave() throws Exception {
        int pa = freeUdpPort();
        int pb = freeUdpPort();
        FakeVips va = new FakeVips();
        FakeVips vb = new FakeVips();
        HaNode a = start("a", pa, pb, va);
        HaNode b = start("b", pb, pa, vb);

        // both start as backup; they hear each other and the preferred node (a) takes over at once
        await().atMost(Duration.ofSeconds(5)).until(() -> a.status().role() == HaRole.ACTIVE
                && b.status().peerState() == PeerState.ALIVE && b.status().peerRole() == HaRole.ACTIVE);
        assertThat(b.status().role()).isEqualTo(HaRole.BACKUP);
        assertThat(va.acquired).hasValue(1);
        assertThat(vb.acquired).hasValue(0);
        assertThat(va.released).as("leftovers cleared at start").hasValue(1);

        // a forged "a is leaving" signed with a guessed key, and one replayed from an earlier run of a: both dropped
        AuthKeys wrong = AuthKeys.parse("authkeys", "auth 1\n1 sha256 guessed\n", new ArrayList<>());
        AuthKeys right = AuthKeys.parse("authkeys", KEYS, new ArrayList<>());
        sendTo(pb, wrong, new HeartbeatMessage("a", System.currentTimeMillis() + 1000, 1, HaRole.LEAVING, 0));
        sendTo(pb, right, new HeartbeatMessage("a", 1, 999_999, HaRole.LEAVING, 0));
        sendTo(pb, right, new HeartbeatMessage("mallory", System.currentTimeMillis(), 1, HaRole.ACTIVE, 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.status().dropped() == 3);
        Thread.sleep(300); // several keepalives: b would have taken over at once had it believed any of them
        assertThat(b.status().role()).isEqualTo(HaRole.BACKUP);
        assertThat(b.status().peerState()).isEqualTo(PeerState.ALIVE);
        assertThat(vb.acquired).hasValue(0);
        // the active node makes sure its VIPs are still in place, every 2 s; the backup never adds them
        await().atMost(Duration.ofSeconds(5)).until(() -> va.kept.get() >= 1);
        assertThat(vb.kept).hasValue(0);

        // a stops cleanly: it releases, says LEAVING, and b takes over long before deadtime (30 s)
        a.close();
        assertThat(va.released).hasValue(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> b.status().role() == HaRole.ACTIVE);
        assertThat(vb.acquired).hasValue(1);
        assertThat(b.status().reason()).isEqualTo("taking over: peer a is dead");
        assertThat(b.status().describe()).startsWith("HA: b active since").contains("peer a dead").contains("3 heartbeats dropped");
    }

    @Test
    void everyRoleAndPeerTransitionIsOneLineWithItsKeyValuePairs() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("lbd");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            int pa = freeUdpPort();
            int pb = freeUdpPort();
            HaNode a = start("a", pa, pb, new FakeVips());
            HaNode b = start("b", pb, pa, new FakeVips());
            await().atMost(Duration.ofSeconds(5)).until(() -> a.status().role() == HaRole.ACTIVE
                    && b.status().peerState() == PeerState.ALIVE);

            List<ch.qos.logback.classic.spi.ILoggingEvent> logged;
            synchronized (appender) { // the appender's own lock: the nodes' threads may be appending
                logged = List.copyOf(appender.list);
            }
            List<java.util.Map<String, String>> events = logged.stream()
                    .filter(e -> e.getKeyValuePairs() != null)
                    .map(e -> {
                        java.util.Map<String, String> pairs = new java.util.LinkedHashMap<>();
                        e.getKeyValuePairs().forEach(kv -> pairs.put(kv.key, String.valueOf(kv.value)));
                        return pairs;
                    }).toList();
            assertThat(events).anySatisfy(p -> assertThat(p).containsEntry("event", "ha").containsEntry("node", "a")
                    .containsEntry("from", "backup").containsEntry("to", "active").containsEntry("peer", "b")
                    .containsKey("reason"));
            assertThat(events).anySatisfy(p -> assertThat(p).containsEntry("event", "ha-peer").containsEntry("node", "b")
                    .containsEntry("peer", "a").containsEntry("state", "alive").containsKey("reason"));
        } finally {
            logger.detachAppender(appender);
        }
    }

    /** Counts what the node tells the connection sync; sends nothing. */
    static final class FakeSync implements PeerSync {
        final AtomicInteger joined = new AtomicInteger();
        final AtomicInteger received = new AtomicInteger();

        @Override
        public void received(byte[] datagram, int length, String from) {
            received.incrementAndGet();
        }

        @Override
        public void peerJoined() {
            joined.incrementAndGet();
        }

        @Override
        public ConnectionSync.Stats stats() {
            return new ConnectionSync.Stats(0, 0, 0, 0, 0, 0, 0);
        }

        @Override
        public Position pause() {
            return new Position(42, 1000, null);
        }

        @Override
        public void resume() {
        }

        @Override
        public void close() {
        }
    }

    /**
     * lbd upgrade of the active node: the old process stops without leaving, a new node continues from its state
     * and socket; the peer sees the same run go on — no drop, no restart (which would resync), no transition — and
     * the VIPs are adopted, never released or acquired again. Then the new node leaves cleanly, as a node does.
     */
    @Test
    void aNodeHandedOverCarriesOnAsTheSameRunAndThePeerNoticesNothing() throws Exception {
        int pa = freeUdpPort();
        int pb = freeUdpPort();
        FakeVips va = new FakeVips();
        HaNode a = start("a", pa, pb, va);
        FakeSync bSync = new FakeSync();
        HaNode b = HaNode.start(config("b", pb, false), new FakeVips(),
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), pa)), bSync);
        nodes.add(b);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.status().role() == HaRole.ACTIVE
                && b.status().peerRole() == HaRole.ACTIVE);
        HaStatus before = b.status();
        int joinedBefore = bSync.joined.get();

        HaNode.HandedOver handed = a.handOver();
        assertThat(handed.state().role()).isEqualTo(HaRole.ACTIVE);
        assertThat(handed.state().peerState()).isEqualTo(PeerState.ALIVE);
        HaHandOver carried = HaHandOver.decode(handed.state().encode());
        assertThat(carried.encode()).isEqualTo(handed.state().encode());
        assertThat(carried.generation()).isEqualTo(handed.state().generation());
        assertThat(carried.peerHeartbeats()).isEqualTo(handed.state().peerHeartbeats()).isNotNull();
        a.close(); // the old process's copy only: no leave
        assertThat(va.released).as("only the start's clean-up").hasValue(1);

        FakeVips va2 = new FakeVips();
        HaNode a2 = HaNode.continueFrom(config("a", pa, false), va2,
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), pb)), null, carried,
                handed.socketFd());
        nodes.add(a2);
        assertThat(a2.status().role()).isEqualTo(HaRole.ACTIVE);
        assertThat(a2.status().transitions()).isEqualTo(a.status().transitions());
        assertThat(va2.adopted).hasValue(1);
        long received = bSync.received.get();
        Thread.sleep(500); // five keepalives of the new node
        assertThat(b.status().dropped()).as("heartbeats b dropped (replays)").isEqualTo(before.dropped());
        assertThat(b.status().transitions()).isEqualTo(before.transitions());
        assertThat(b.status().peerState()).isEqualTo(PeerState.ALIVE);
        assertThat(b.status().peerRole()).isEqualTo(HaRole.ACTIVE);
        assertThat(bSync.joined).as("b saw no restart of a (no resync)").hasValue(joinedBefore);
        assertThat(received).isZero();
        assertThat(va2.acquired).hasValue(0);
        assertThat(va2.released).hasValue(0);

        // the node the new process carries on leaves as any node does: VIPs released, the peer takes over
        a2.close();
        assertThat(va2.released).hasValue(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> b.status().role() == HaRole.ACTIVE);
    }

    /** A hand-over the new process did not complete: the old node carries on as a new run; the peer keeps it. */
    @Test
    void aNodeWhoseHandOverDidNotCompleteCarriesOnAsANewRun() throws Exception {
        int pa = freeUdpPort();
        int pb = freeUdpPort();
        FakeVips va = new FakeVips();
        HaNode a = start("a", pa, pb, va);
        FakeSync bSync = new FakeSync();
        HaNode b = HaNode.start(config("b", pb, false), new FakeVips(),
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), pa)), bSync);
        nodes.add(b);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.status().role() == HaRole.ACTIVE
                && b.status().peerRole() == HaRole.ACTIVE);
        int joinedBefore = bSync.joined.get();
        HaNode.HandedOver handed = a.handOver();
        lbd.director.unix.SeqPacketSocket.closeAll(handed.socketFd());
        a.resume();
        await("b resyncs a's new run").atMost(Duration.ofSeconds(5)).until(() -> bSync.joined.get() > joinedBefore);
        assertThat(a.status().role()).isEqualTo(HaRole.ACTIVE);
        assertThat(b.status().role()).isEqualTo(HaRole.BACKUP);
        assertThat(b.status().peerState()).isEqualTo(PeerState.ALIVE);
        assertThat(va.acquired).hasValue(1);
        assertThat(va.released).hasValue(1);
    }
}
