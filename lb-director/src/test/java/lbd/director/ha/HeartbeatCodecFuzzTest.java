package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import lbd.director.ha.HeartbeatCodec.Decoded;

/**
 * The heartbeat codec against a peer that sends anything: a message lbd signed decodes to itself, under every
 * method and key; the same datagram with any byte changed or cut short, and any datagram the fuzzer makes up, is
 * rejected with a reason — never accepted, never an exception (HaNode's receive loop would die of one).
 */
class HeartbeatCodecFuzzTest {

    private static final AuthMethod[] KEYED = {AuthMethod.MD5, AuthMethod.SHA1, AuthMethod.SHA256};

    @FuzzTest(maxDuration = "3s")
    void signedMessagesRoundTripAndEverythingElseIsRejected(FuzzedDataProvider data) {
        int id = data.consumeInt(1, 15);
        byte[] secret = data.consumeBytes(64);
        if (secret.length == 0) {
            secret = new byte[] {0}; // authkeys never yields an empty secret
        }
        AuthKey key = new AuthKey(id, data.pickValue(KEYED), secret);
        HeartbeatCodec codec = new HeartbeatCodec(new AuthKeys(key, Map.of(id, key)));

        // Node names come from files read as UTF-8, so they survive UTF-8 as written.
        String node = new String(data.consumeString(255).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        HeartbeatMessage sent = new HeartbeatMessage(node, data.consumeLong(), data.consumeLong(),
                data.pickValue(HaRole.values()), data.consumeLong());
        ByteBuffer datagram = ByteBuffer.allocate(HeartbeatCodec.MAX_LENGTH);
        if (node.getBytes(StandardCharsets.UTF_8).length > 255) {
            assertThatIllegalArgumentException().isThrownBy(() -> codec.encode(sent, datagram));
            return;
        }
        codec.encode(sent, datagram);
        byte[] wire = java.util.Arrays.copyOf(datagram.array(), datagram.position());
        assertThat(codec.decode(ByteBuffer.wrap(wire))).isEqualTo(new Decoded.Accepted(sent));

        byte[] tampered = wire.clone();
        int at = data.consumeInt(0, wire.length - 1);
        byte flip = data.consumeByte();
        tampered[at] ^= flip == 0 ? 1 : flip;
        assertThat(codec.decode(ByteBuffer.wrap(tampered))).as("byte %d changed", at).isInstanceOf(Decoded.Rejected.class);

        int cut = data.consumeInt(0, wire.length - 1);
        assertThat(codec.decode(ByteBuffer.wrap(wire, 0, cut))).as("cut to %d bytes", cut).isInstanceOf(Decoded.Rejected.class);

        byte[] forged = data.consumeRemainingAsBytes();
        assertThat(codec.decode(ByteBuffer.wrap(forged))).isInstanceOf(Decoded.Rejected.class);
    }
}
