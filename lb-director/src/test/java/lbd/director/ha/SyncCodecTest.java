package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Random;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.FlowTable;
import lbd.dataplane.dr.flow.TcpStates;
import lbd.director.ha.HeartbeatCodec.Rejection;
import org.junit.jupiter.api.Test;

/** Every sync datagram is signed with the heartbeat keys; forged, tampered or truncated ones are dropped. */
class SyncCodecTest {

    private static final byte[] NODE = "lvs-ldir01.hl.local".getBytes(StandardCharsets.UTF_8);

    private static AuthKeys keys(String text) {
        return AuthKeys.parse("authkeys", text, new ArrayList<>());
    }

    private static byte[] encode(AuthKeys k, byte[] payload) {
        ByteBuffer out = ByteBuffer.allocate(SyncCodec.MAX_DATAGRAM);
        new SyncCodec(k).encode(NODE, 1_700_000_000_000L, 7, ByteBuffer.wrap(payload), out);
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    @Test
    void aSignedDatagramIsAcceptedWithItsSenderSequenceAndPayload() {
        AuthKeys k = keys("auth 2\n2 sha1 HI!\n3 md5 Hello!\n");
        byte[] payload = "records".getBytes(StandardCharsets.US_ASCII);
        byte[] d = encode(k, payload);
        assertThat(SyncCodec.isSync(d, d.length)).isTrue();
        SyncCodec.Decoded got = new SyncCodec(k).decode(d, d.length);
        assertThat(got).isInstanceOf(SyncCodec.Decoded.Accepted.class);
        SyncCodec.Decoded.Accepted a = (SyncCodec.Decoded.Accepted) got;
        assertThat(a.node()).isEqualTo("lvs-ldir01.hl.local");
        assertThat(a.sequence()).isEqualTo(7);
        assertThat(new String(d, a.payloadOffset(), a.payloadLength(), StandardCharsets.US_ASCII)).isEqualTo("records");
    }

    /** The payload's records keep their protocol through the sync: a UDP flow and a UDP service's template. */
    @Test
    void aUdpFlowAndAUdpServicesTemplateCrossTheSyncMarkedAsUdp() {
        AuthKeys k = keys("auth 1\n1 sha256 s\n");
        ByteBuffer records = ByteBuffer.allocate(SyncCodec.MAX_PAYLOAD);
        FlowRecords.Writer w = new FlowRecords.Writer().wrap(records, 0, records.capacity(), 0);
        w.flow(FlowTable.IPV4, 0xC6130001L, 4000, FlowTable.IPV4, 0xC612000AL, 53, FlowTable.IPV4, 0xC6120101L, 53,
                TcpStates.UDP, 250_000, true, true);
        w.template(FlowTable.IPV4, 0xC6130000L, 24, FlowTable.IPV4, 0xC612000AL, 53, FlowTable.IPV4, 0xC6120101L, 53,
                500_000, 600_000, true);
        byte[] d = encode(k, java.util.Arrays.copyOf(records.array(), w.finish()));
        SyncCodec.Decoded.Accepted a = (SyncCodec.Decoded.Accepted) new SyncCodec(k).decode(d, d.length);
        FlowRecords.Reader r = new FlowRecords.Reader();
        assertThat(r.wrap(ByteBuffer.wrap(d), a.payloadOffset(), a.payloadLength())).isNull();
        assertThat(r.next()).isTrue();
        assertThat(r.type()).isEqualTo(FlowRecords.FLOW);
        assertThat(r.udp()).isTrue();
        assertThat(r.state()).isEqualTo(TcpStates.UDP);
        assertThat(r.remainingMillis()).isEqualTo(250_000);
        assertThat(r.next()).isTrue();
        assertThat(r.type()).isEqualTo(FlowRecords.TEMPLATE);
        assertThat(r.udp()).isTrue();
        assertThat(r.next()).isFalse();
    }

    @Test
    void aHeartbeatIsNotTakenForASyncDatagram() {
        AuthKeys k = keys("auth 1\n1 sha1 s\n");
        ByteBuffer b = ByteBuffer.allocate(HeartbeatCodec.MAX_LENGTH);
        new HeartbeatCodec(k).encode(new HeartbeatMessage("n", 1, 1, HaRole.ACTIVE, 1), b);
        assertThat(SyncCodec.isSync(b.array(), b.position())).isFalse();
    }

    @Test
    void aGuessedKeyOrAnyChangedByteIsRejected() {
        AuthKeys real = keys("auth 1\n1 sha256 real\n");
        byte[] forged = encode(keys("auth 1\n1 sha256 guessed\n"), new byte[40]);
        assertThat(new SyncCodec(real).decode(forged, forged.length))
                .isEqualTo(new SyncCodec.Decoded.Rejected(Rejection.BAD_SIGNATURE, "signature does not match key 1"));
        byte[] good = encode(real, new byte[40]);
        Random random = new Random(0x6C6264L); // fixed: the same datagrams on every run
        SyncCodec codec = new SyncCodec(real);
        for (int i = 0; i < 500; i++) {
            byte[] d = good.clone();
            int at = random.nextInt(d.length);
            d[at] ^= (byte) (1 + random.nextInt(255));
            int length = random.nextInt(4) == 0 ? random.nextInt(d.length) : d.length;
            assertThat(codec.decode(d, length)).as("byte %d changed, %d bytes", at, length)
                    .isInstanceOf(SyncCodec.Decoded.Rejected.class);
        }
    }
}
