package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import lbd.director.ha.HeartbeatCodec.Decoded;
import lbd.director.ha.HeartbeatCodec.Rejection;
import org.junit.jupiter.api.Test;

/** Every heartbeat is signed; a wrong key, a tampered byte or a replayed message is dropped. */
class HaHeartbeatCodecTest {

    private static AuthKeys keys(String text) {
        return AuthKeys.parse("authkeys", text, new ArrayList<>());
    }

    private static final HeartbeatMessage MSG = new HeartbeatMessage("lvs-ldir01", 1_700_000_000_000L, 42, HaRole.ACTIVE, 1_700_000_123_456L);

    private static ByteBuffer encode(AuthKeys k, HeartbeatMessage m) {
        ByteBuffer b = ByteBuffer.allocate(HeartbeatCodec.MAX_LENGTH);
        new HeartbeatCodec(k).encode(m, b);
        return b.flip();
    }

    @Test
    void roundTripsWithEveryKeyedMethod() {
        for (String method : new String[] {"md5", "sha1", "sha256"}) {
            AuthKeys k = keys("auth 5\n5 " + method + " s3cret\n");
            Decoded d = new HeartbeatCodec(k).decode(encode(k, MSG));
            assertThat(d).as(method).isEqualTo(new Decoded.Accepted(MSG));
        }
    }

    @Test
    void acceptsAnyKeyListedSoKeysCanBeRolled() {
        AuthKeys oldNode = keys("auth 1\n1 sha1 old\n");
        AuthKeys newNode = keys("auth 2\n1 sha1 old\n2 sha256 new\n");
        assertThat(new HeartbeatCodec(newNode).decode(encode(oldNode, MSG))).isInstanceOf(Decoded.Accepted.class);
        assertThat(new HeartbeatCodec(oldNode).decode(encode(newNode, MSG)))
                .isEqualTo(new Decoded.Rejected(Rejection.UNKNOWN_KEY, "signed with key 2, which authkeys here does not define"));
    }

    @Test
    void dropsAMessageSignedWithTheWrongSecret() {
        ByteBuffer forged = encode(keys("auth 1\n1 sha1 guessed\n"), MSG);
        Decoded d = new HeartbeatCodec(keys("auth 1\n1 sha1 real\n")).decode(forged);
        assertThat(d).isEqualTo(new Decoded.Rejected(Rejection.BAD_SIGNATURE, "signature does not match key 1"));
    }

    @Test
    void dropsATamperedMessage() {
        AuthKeys k = keys("auth 1\n1 sha256 real\n");
        ByteBuffer b = encode(k, MSG);
        // flip the role byte from ACTIVE to BACKUP: the signature no longer matches
        b.put(6, (byte) HaRole.BACKUP.ordinal());
        assertThat(new HeartbeatCodec(k).decode(b)).extracting(d -> ((Decoded.Rejected) d).reason()).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void dropsGarbageAndTruncatedDatagrams() {
        AuthKeys k = keys("auth 1\n1 sha1 x\n");
        HeartbeatCodec c = new HeartbeatCodec(k);
        assertThat(c.decode(ByteBuffer.wrap("hello, heartbeat".getBytes()))).extracting(d -> ((Decoded.Rejected) d).reason())
                .isEqualTo(Rejection.MALFORMED);
        ByteBuffer b = encode(k, MSG);
        b.limit(b.limit() - 1);
        assertThat(c.decode(b)).extracting(d -> ((Decoded.Rejected) d).reason()).isEqualTo(Rejection.MALFORMED);
        b.limit(10);
        assertThat(c.decode(b.position(0))).isEqualTo(new Decoded.Rejected(Rejection.MALFORMED, "truncated"));
    }

    // ---- replay ----

    private static HeartbeatMessage seq(long generation, long sequence) {
        return new HeartbeatMessage("peer", generation, sequence, HaRole.ACTIVE, 0);
    }

    @Test
    void replayGuardDropsRepeatsAndOldGenerations() {
        ReplayGuard g = new ReplayGuard();
        assertThat(g.check(seq(100, 1))).isEqualTo(ReplayGuard.Verdict.FRESH);
        assertThat(g.check(seq(100, 2))).isEqualTo(ReplayGuard.Verdict.FRESH);
        assertThat(g.check(seq(100, 2))).isEqualTo(ReplayGuard.Verdict.DUPLICATE);
        assertThat(g.check(seq(100, 5))).isEqualTo(ReplayGuard.Verdict.FRESH);
        // reordered but not yet seen: still fresh, once
        assertThat(g.check(seq(100, 4))).isEqualTo(ReplayGuard.Verdict.FRESH);
        assertThat(g.check(seq(100, 4))).isEqualTo(ReplayGuard.Verdict.DUPLICATE);
        assertThat(g.check(seq(100, 1))).isEqualTo(ReplayGuard.Verdict.DUPLICATE);
        // far behind the window
        assertThat(g.check(seq(100, 500))).isEqualTo(ReplayGuard.Verdict.FRESH);
        assertThat(g.check(seq(100, 400))).isEqualTo(ReplayGuard.Verdict.STALE_SEQUENCE);
        // the peer restarted: a new generation starts over; the old one is a replay
        assertThat(g.check(seq(200, 1))).isEqualTo(ReplayGuard.Verdict.FRESH);
        assertThat(g.check(seq(100, 501))).isEqualTo(ReplayGuard.Verdict.STALE_GENERATION);
    }

    @Test
    void replayGuardKeepsPeersApart() {
        ReplayGuard g = new ReplayGuard();
        assertThat(g.check(new HeartbeatMessage("a", 1, 7, HaRole.ACTIVE, 0))).isEqualTo(ReplayGuard.Verdict.FRESH);
        assertThat(g.check(new HeartbeatMessage("b", 1, 7, HaRole.ACTIVE, 0))).isEqualTo(ReplayGuard.Verdict.FRESH);
    }
}
