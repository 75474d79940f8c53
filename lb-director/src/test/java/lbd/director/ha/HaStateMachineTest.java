package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Timelines on a fake clock (milliseconds turned into the machine's nanoseconds). Node "a" is the preferred node
 * of haresources in every case; keepalive is 2 s, warntime 4 s, deadtime 6 s, initdead 12 s.
 */
class HaStateMachineTest {

    private static final Duration DEAD = Duration.ofSeconds(6);

    private static HaStateMachine node(String self, boolean autoFailback) {
        String peer = self.equals("a") ? "b" : "a";
        return new HaStateMachine(peer, self.equals("a"), "a", autoFailback, DEAD, Duration.ofSeconds(4),
                Duration.ofSeconds(12), ms(0));
    }

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    /** Feeds the peer's heartbeats every 2 s from {@code fromMs} up to {@code toMs} (exclusive), ticking each 100 ms. */
    private static void hear(HaStateMachine m, HaRole peerRole, long fromMs, long toMs) {
        for (long t = fromMs; t < toMs; t += 100) {
            if ((t - fromMs) % 2000 == 0) {
                m.onHeartbeat(peerRole, ms(t));
            }
            m.onTick(ms(t));
        }
    }

    private static void silence(HaStateMachine m, long fromMs, long toMs) {
        for (long t = fromMs; t < toMs; t += 100) {
            m.onTick(ms(t));
        }
    }

    @Test
    void takesOverAfterInitdeadWhenThePeerNeverAnswers() {
        HaStateMachine b = node("b", false);
        silence(b, 0, 11_900);
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);
        List<HaEvent> events = b.onTick(ms(12_000));
        assertThat(b.role()).isEqualTo(HaRole.ACTIVE);
        assertThat(events).singleElement().isInstanceOfSatisfying(HaEvent.RoleChanged.class,
                e -> assertThat(e.reason()).isEqualTo("taking over: no heartbeat from a within 12s of start (initdead)"));
    }

    @Test
    void theBackupWarnsAtWarntimeAndTakesOverExactlyAtDeadtime() {
        HaStateMachine b = node("b", false);
        hear(b, HaRole.ACTIVE, 0, 20_000); // heartbeats at 0, 2, ... 18 s
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);
        assertThat(b.peerState()).isEqualTo(PeerState.ALIVE);

        assertThat(b.onTick(ms(21_900))).isEmpty();
        assertThat(b.onTick(ms(22_000))).singleElement().isEqualTo(new HaEvent.LateHeartbeat("a", Duration.ofSeconds(4)));
        assertThat(b.onTick(ms(22_100))).as("warned once per silence").isEmpty();
        assertThat(b.onTick(ms(23_900))).isEmpty();
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);

        assertThat(b.onTick(ms(24_000))).containsExactly(
                new HaEvent.PeerChanged(PeerState.ALIVE, PeerState.DEAD, "peer a silent for 6s (deadtime)"),
                new HaEvent.RoleChanged(HaRole.BACKUP, HaRole.ACTIVE, "taking over: peer a is dead"));
        assertThat(b.role()).isEqualTo(HaRole.ACTIVE);
    }

    @Test
    void aLeavingPeerIsTakenOverAtOnce() {
        HaStateMachine b = node("b", false);
        hear(b, HaRole.ACTIVE, 0, 5_000);
        assertThat(b.onHeartbeat(HaRole.LEAVING, ms(5_050))).containsExactly(
                new HaEvent.PeerChanged(PeerState.ALIVE, PeerState.DEAD, "peer a is stopping and gave up its resources"),
                new HaEvent.RoleChanged(HaRole.BACKUP, HaRole.ACTIVE, "taking over: peer a is dead"));
    }

    @Test
    void simultaneousStartGoesToThePreferredNode() {
        HaStateMachine a = node("a", false);
        HaStateMachine b = node("b", false);
        a.onHeartbeat(HaRole.BACKUP, ms(300));
        b.onHeartbeat(HaRole.BACKUP, ms(300));
        assertThat(a.role()).isEqualTo(HaRole.ACTIVE);
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);
        // b then hears a active and stays backup for good
        hear(b, HaRole.ACTIVE, 400, 30_000);
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);
    }

    /** a (preferred) serves, dies, b takes over, a returns: with auto_failback off, b keeps serving. */
    @Test
    void autoFailbackOffLeavesTheResourcesWhereTheyAre() {
        HaStateMachine b = node("b", false);
        hear(b, HaRole.ACTIVE, 0, 10_000);
        silence(b, 10_000, 20_000);
        assertThat(b.role()).isEqualTo(HaRole.ACTIVE);

        HaStateMachine a = node("a", false); // restarted, at its own time 0
        assertThat(a.onHeartbeat(HaRole.ACTIVE, ms(100))).containsExactly(
                new HaEvent.PeerChanged(PeerState.UNKNOWN, PeerState.ALIVE, "first heartbeat from b (active)"));
        assertThat(b.onHeartbeat(HaRole.BACKUP, ms(20_100))).containsExactly(
                new HaEvent.PeerChanged(PeerState.DEAD, PeerState.ALIVE, "peer a is back (backup)"));
        hear(a, HaRole.ACTIVE, 200, 40_000);
        hear(b, HaRole.BACKUP, 20_200, 60_000);
        assertThat(a.role()).isEqualTo(HaRole.BACKUP);
        assertThat(b.role()).isEqualTo(HaRole.ACTIVE);
    }

    /** Same story with auto_failback on: b hands back, then a sees both backup and takes over. */
    @Test
    void autoFailbackOnReturnsTheResourcesToThePreferredNode() {
        HaStateMachine b = node("b", true);
        hear(b, HaRole.ACTIVE, 0, 10_000);
        silence(b, 10_000, 20_000);
        assertThat(b.role()).isEqualTo(HaRole.ACTIVE);

        HaStateMachine a = node("a", true);
        a.onHeartbeat(HaRole.ACTIVE, ms(100));
        assertThat(a.role()).as("a waits for b to let go").isEqualTo(HaRole.BACKUP);
        assertThat(b.onHeartbeat(HaRole.BACKUP, ms(20_100))).containsExactly(
                new HaEvent.PeerChanged(PeerState.DEAD, PeerState.ALIVE, "peer a is back (backup)"),
                new HaEvent.RoleChanged(HaRole.ACTIVE, HaRole.BACKUP, "giving up: auto_failback on and the preferred node a is back"));
        // b's next heartbeat (sent at once on the change) says backup: a takes over
        assertThat(a.onHeartbeat(HaRole.BACKUP, ms(150))).containsExactly(
                new HaEvent.RoleChanged(HaRole.BACKUP, HaRole.ACTIVE, "taking over: both nodes are backup and a is the preferred node (haresources)"));
        hear(b, HaRole.ACTIVE, 20_200, 60_000);
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);
    }

    /** A healed partition: both active; whatever the order of arrival, exactly one (the preferred) stays active. */
    @Test
    void twoActivesSettleOnThePreferredNode() {
        for (boolean autoFailback : new boolean[] {false, true}) {
            HaStateMachine a = node("a", autoFailback);
            HaStateMachine b = node("b", autoFailback);
            silence(a, 0, 13_000);
            silence(b, 0, 13_000);
            assertThat(a.role()).isEqualTo(HaRole.ACTIVE);
            assertThat(b.role()).isEqualTo(HaRole.ACTIVE);

            assertThat(b.onHeartbeat(HaRole.ACTIVE, ms(13_000))).contains(new HaEvent.RoleChanged(HaRole.ACTIVE, HaRole.BACKUP,
                    "giving up: both nodes are active; the preferred node a (haresources) keeps serving"));
            assertThat(a.onHeartbeat(HaRole.ACTIVE, ms(13_000))).noneMatch(e -> e instanceof HaEvent.RoleChanged);
            hear(a, HaRole.BACKUP, 13_100, 30_000);
            hear(b, HaRole.ACTIVE, 13_100, 30_000);
            assertThat(a.role()).isEqualTo(HaRole.ACTIVE);
            assertThat(b.role()).isEqualTo(HaRole.BACKUP);
        }
    }

    @Test
    void aLeavingNodeNeverTakesOver() {
        HaStateMachine b = node("b", false);
        assertThat(b.leave("stopping (SIGTERM)")).containsExactly(
                new HaEvent.RoleChanged(HaRole.BACKUP, HaRole.LEAVING, "stopping (SIGTERM)"));
        silence(b, 0, 60_000);
        assertThat(b.role()).isEqualTo(HaRole.LEAVING);
    }

    /** The fast profile: keepalive 200 ms, deadtime 1 s: takeover 1 s after the last heartbeat. */
    @Test
    void fastTimersTakeOverWithinOneSecond() {
        HaStateMachine b = new HaStateMachine("a", false, "a", false, Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(1), ms(0));
        for (long t = 0; t < 3_000; t += 200) {
            b.onHeartbeat(HaRole.ACTIVE, ms(t));
            b.onTick(ms(t + 10));
        }
        silence(b, 2_800, 3_790); // last heartbeat at 2.8 s
        assertThat(b.role()).isEqualTo(HaRole.BACKUP);
        b.onTick(ms(3_800));
        assertThat(b.role()).isEqualTo(HaRole.ACTIVE);
    }
}
