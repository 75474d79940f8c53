package lbd.dataplane.persist;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The templates' rules, pinned to ip_vs_sched_persist / ip_vs_conn_expire (ipvs-semantics-2.md, section 1). */
class PersistenceTemplatesTest {

    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.1", 443));
    private static final long TIMEOUT = 300_000;

    private final PersistenceTemplates templates = new PersistenceTemplates();
    private final Servers servers = new Servers(3);
    private final PersistenceTemplates.Binding out = new PersistenceTemplates.Binding();

    @Test
    void aClientNetworkKeepsItsServerWhileTheTemplateLivesAndEachNewConnectionReArmsIt() {
        long t = 1_000_000;
        int first = bind(1, t);
        servers.next = 2; // the scheduler would now say something else
        assertThat(bind(1, t + 1_000)).isEqualTo(first);
        release(t + 2_000);
        release(t + 2_000);
        // Re-armed by the second connection at t + 1 s: still alive just before t + 1 s + 300 s.
        assertThat(bind(1, t + 1_000 + TIMEOUT - 1)).isEqualTo(first);
        release(t + 1_000 + TIMEOUT);
        assertThat(servers.choices).isEqualTo(1);
    }

    @Test
    void anAdoptedTemplateKeepsItsServerForWhatIsLeftOfItsTimerAndOutlivesTheConnectionsThatJoinIt() {
        long t = 1_000_000;
        // Made elsewhere (a saved table, the active director): server 2, 10 s left, 300 s timeout.
        templates.adopt(0, 9, servers.key(2), t, 10_000, TIMEOUT);
        long[] seen = new long[4];
        long handle = templates.join(0, 9, t + 1);
        assertThat(templates.describe(handle, t + 1, seen)).isTrue();
        assertThat(seen).containsExactly(0, 9, 9_999, TIMEOUT);
        servers.next = 0;
        assertThat(bind(9, t + 5_000)).as("a new connection of the network").isEqualTo(2);
        release(t + 6_000);
        // The joined connection still runs past the timer (re-armed to t + 5 s + 300 s by the bind): alive.
        assertThat(templates.serverOf(0, 9, t + 5_000 + TIMEOUT + 1)).isEqualTo(servers.key(2));
        templates.release(handle, t + 5_000 + TIMEOUT + 2);
        assertThat(servers.choices).as("never scheduled here").isZero();
        assertThat(templates.join(0, 10, t)).as("no template for that network").isEqualTo(PersistenceTemplates.NO_TEMPLATE);
        assertThat(templates.describe(PersistenceTemplates.NO_TEMPLATE, t, seen)).isFalse();
    }

    @Test
    void aTemplateWithNoConnectionDiesAtItsTimeoutAndTheClientIsScheduledAfresh() {
        long t = 5_000;
        assertThat(bind(7, t)).isEqualTo(0);
        release(t + 10);
        servers.next = 1;
        assertThat(bind(7, t + TIMEOUT)).isEqualTo(1);
        assertThat(servers.choices).isEqualTo(2);
    }

    @Test
    void aTemplateOutlivesItsTimeoutWhileItControlsConnectionsThenLivesOnIn60SecondSteps() {
        long t = 0;
        assertThat(bind(9, t)).isEqualTo(0);
        long handle = out.handle();
        servers.next = 1;
        // A connection still open long after the timeout: the template holds.
        assertThat(templates.serverOf(0, 9, t + 10 * TIMEOUT)).isEqualTo(servers.key(0));
        // It ends 90 s after expiry: IPVS's 60 s re-checks find it empty at expiry + 120 s.
        templates.release(handle, t + TIMEOUT + 90_000);
        assertThat(templates.serverOf(0, 9, t + TIMEOUT + 119_999)).isEqualTo(servers.key(0));
        assertThat(templates.serverOf(0, 9, t + TIMEOUT + 120_000)).isNull();
    }

    @Test
    void onceExtendedATemplateIsReArmedFor60SecondsNotItsOwnTimeout() {
        long t = 0;
        bind(4, t); // kept open past the timeout
        long expiredAt = t + TIMEOUT;
        assertThat(bind(4, expiredAt + 1_000)).isEqualTo(0); // reused in its 60 s stage: re-armed for 60 s
        templates.release(out.handle(), expiredAt + 1_000);
        release(expiredAt + 2_000); // the first connection; no connection left
        assertThat(templates.serverOf(0, 4, expiredAt + 1_000 + 59_999)).isEqualTo(servers.key(0));
        assertThat(templates.serverOf(0, 4, expiredAt + 1_000 + 60_000 + 60_000)).isNull();
    }

    @Test
    void aTemplateWhoseServerNoLongerHoldsIsReplacedAndItsOldConnectionsAreStillCounted() {
        long t = 0;
        assertThat(bind(3, t)).isEqualTo(0);
        long old = out.handle();
        servers.invalid.add(0); // removed, or held down by a health check
        servers.next = 2;
        assertThat(bind(3, t + 1)).isEqualTo(2);
        assertThat(templates.size(t + 1)).isEqualTo(1); // the orphan does not match any more
        templates.release(old, t + 2); // the old server's connection ends: the orphan is freed, nothing else
        servers.invalid.clear();
        assertThat(bind(3, t + 3)).isEqualTo(2);
    }

    @Test
    void persistConnCountsLiveTemplatesPerServerOrphansIncluded() {
        servers.next = 0;
        bind(1, 0);
        bind(2, 0);
        servers.next = 1;
        bind(3, 0);
        long third = out.handle();
        servers.invalid.add(1); // server 1 leaves: network 3's template is orphaned, its connection still open
        servers.next = 2;
        bind(3, 1);
        assertThat(templates.countByServer(2)).containsOnly(java.util.Map.entry(servers.key(0), 2),
                java.util.Map.entry(servers.key(1), 1), java.util.Map.entry(servers.key(2), 1));
        templates.release(third, 3);
        assertThat(templates.countByServer(4)).doesNotContainKey(servers.key(1));
    }

    @Test
    void noServerNoTemplate() {
        servers.next = -1;
        assertThat(bind(5, 0)).isEqualTo(-1);
        assertThat(out.handle()).isEqualTo(PersistenceTemplates.NO_TEMPLATE);
        assertThat(templates.size(0)).isZero();
        templates.release(PersistenceTemplates.NO_TEMPLATE, 0); // ignored
    }

    @Test
    void aStaleHandleReleasesNothing() {
        bind(6, 0);
        long first = out.handle();
        templates.release(first, 1);
        // The template died and its entry was recycled for another network.
        bind(8, TIMEOUT + 1);
        templates.release(first, TIMEOUT + 2); // the old handle again: ignored, the new template keeps its count
        assertThat(templates.serverOf(0, 8, 10 * TIMEOUT)).isEqualTo(servers.key(0));
    }

    @Test
    void thousandsOfClientNetworksGrowTheStripesAndEachKeepsItsServer() {
        List<Integer> chosen = new ArrayList<>();
        for (int network = 0; network < 5_000; network++) {
            servers.next = network % 3;
            chosen.add(bind(network, 0));
        }
        servers.next = -1; // a new choice would fail: every bind below must find its template
        for (int network = 0; network < 5_000; network++) {
            assertThat(bind(network, 1)).isEqualTo(chosen.get(network));
        }
        assertThat(templates.size(2)).isEqualTo(5_000);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void connectionsOfOneClientNetworkOnManyThreadsAtOnceAllGetOneServer() throws InterruptedException {
        int threads = 4;
        int rounds = 2_000;
        AtomicInteger counter = new AtomicInteger();
        List<Set<Integer>> seen = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            seen.add(java.util.concurrent.ConcurrentHashMap.newKeySet());
        }
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().start(() -> {
                // Each thread has its own candidates (as each worker has its slot): a scheduler that rotates.
                PersistenceTemplates.Binding binding = new PersistenceTemplates.Binding();
                PersistenceTemplates.Candidates rotating = new PersistenceTemplates.Candidates() {
                    @Override
                    public int indexOf(RealServerKey server) {
                        return servers.keys.indexOf(server);
                    }

                    @Override
                    public int choose() {
                        return counter.getAndIncrement() % 3;
                    }

                    @Override
                    public RealServerKey keyOf(int index) {
                        return servers.key(index);
                    }
                };
                awaitUninterruptibly(start);
                for (int r = 0; r < rounds; r++) {
                    templates.bind(0, r, 0, TIMEOUT, rotating, binding);
                    seen.get(r).add(binding.index());
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        for (int r = 0; r < rounds; r++) {
            assertThat(seen.get(r)).as("servers client network %d got", r).hasSize(1);
        }
    }

    @Test
    void netmasksGroupClientsAsIpvsDoes() {
        Persistence slash24 = new Persistence(TIMEOUT, 24, templates);
        assertThat(slash24.networkLo(0xC6_12_05_07)).isEqualTo(0xC6_12_05_00L);
        assertThat(new Persistence(TIMEOUT, 32, templates).networkLo(0xC6_12_05_07)).isEqualTo(0xC6_12_05_07L);
        assertThat(new Persistence(TIMEOUT, 1, templates).networkLo(0xC6_12_05_07)).isEqualTo(0x80_00_00_00L);
    }

    // ----

    /**
     * lbadm -Lc lists templates as IPVS does: state NONE, the client network with port 0, and the time left: its
     * timeout since last used, then (outliving it while a connection is open) the next 60 s re-check.
     */
    @Test
    void describesLiveTemplatesWithTheClientNetworkAndTheTimeLeft() {
        Persistence persistence = new Persistence(TIMEOUT, 24, templates);
        long t = 1_000;
        bind(persistence.networkLo((198 << 24) | (18 << 16) | (5 << 8) | 77), t); // 198.18.5.77 under /24
        long open = out.handle();
        ConnectionEntries now = persistence.describeTemplates(SERVICE, t + 10_000, 10);
        assertThat(now.listed()).containsExactly(new ConnectionEntry(Endpoint.of("198.18.5.0", 0), SERVICE,
                servers.key(0).address(), "NONE", TIMEOUT - 10_000));
        // Past its timeout with its connection still open: the next re-check, 60 s steps from the expiry.
        assertThat(persistence.describeTemplates(SERVICE, t + TIMEOUT + 15_000, 10).listed().getFirst()
                .expiresMillis()).isEqualTo(45_000);
        templates.release(open, t + TIMEOUT + 20_000);
        assertThat(persistence.describeTemplates(SERVICE, t + TIMEOUT + 20_000, 10).listed().getFirst()
                .expiresMillis()).as("dies at the re-check after its last connection").isEqualTo(40_000);
        assertThat(persistence.describeTemplates(SERVICE, t + TIMEOUT + 60_000, 10).total()).isZero();
    }

    private int bind(long network, long now) {
        templates.bind(0, network, now, TIMEOUT, servers, out);
        servers.lastHandle = out.handle();
        return out.index();
    }

    /** Releases the last bound connection. */
    private void release(long now) {
        templates.release(servers.lastHandle, now);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Three real servers; the scheduler answers {@link #next}; {@link #invalid} ones no longer hold. */
    private static final class Servers implements PersistenceTemplates.Candidates {
        final List<RealServerKey> keys = new ArrayList<>();
        final Set<Integer> invalid = new HashSet<>();
        int next;
        int choices;
        long lastHandle;

        Servers(int n) {
            for (int i = 0; i < n; i++) {
                keys.add(new RealServerKey(SERVICE, Endpoint.of("198.18.1." + (i + 1), 443)));
            }
        }

        RealServerKey key(int index) {
            return keys.get(index);
        }

        @Override
        public int indexOf(RealServerKey server) {
            int i = keys.indexOf(server);
            return invalid.contains(i) ? -1 : i;
        }

        @Override
        public int choose() {
            choices++;
            return next;
        }

        @Override
        public RealServerKey keyOf(int index) {
            return keys.get(index);
        }
    }
}
