package lbd.director.ha;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import javax.crypto.Mac;

/**
 * The connection-sync datagram between the two directors, signed with the heartbeats' authkeys:
 * <pre>
 *   "LBSY" | version u8 | key id u8 | node length u8 | node (UTF-8) | generation i64 | sequence i64
 *   | payload length u16 | payload (one lbd.dataplane.dr.flow.FlowRecords message) | HMAC(key, all before it)
 * </pre>
 * The generation and sequence are the sender's own for its sync datagrams (checked by a {@link ReplayGuard}
 * apart from the heartbeats'), so a captured batch cannot be replayed. Not thread-safe: one codec per thread.
 *
 * <p>What a connection is (TCP or UDP, and a template's service's protocol) is the payload's to say: FlowRecords
 * marks UDP flows and UDP services' templates, so the envelope's version stays 1 (a peer whose FlowRecords predates
 * UDP refuses a message holding a UDP record whole, and logs why).
 */
public final class SyncCodec {

    public static final int MAGIC = 0x4C425359; // "LBSY"
    static final int VERSION = 1;
    /** Payload bytes per datagram: with the envelope (a 255-byte node name, a 64-byte HMAC) within 1472. */
    public static final int MAX_PAYLOAD = 1100;
    public static final int MAX_DATAGRAM = 4 + 3 + 255 + 16 + 2 + MAX_PAYLOAD + 64;

    private final AuthKeys keys;
    private final Map<Integer, Mac> macs;
    private final byte[] expected = new byte[64];
    private final byte[] got = new byte[64];

    public SyncCodec(AuthKeys keys) {
        this.keys = keys;
        this.macs = keys.newMacs();
    }

    /** Whether a datagram (its first bytes) is a sync datagram rather than a heartbeat. */
    public static boolean isSync(byte[] datagram, int length) {
        return length >= 4 && ByteBuffer.wrap(datagram, 0, 4).getInt() == MAGIC;
    }

    /** Writes one datagram carrying {@code payload} (position..limit), signed with the sending key, into {@code out}. */
    public void encode(byte[] node, long generation, long sequence, ByteBuffer payload, ByteBuffer out) {
        AuthKey key = keys.sendKey();
        int start = out.position();
        out.putInt(MAGIC).put((byte) VERSION).put((byte) key.id()).put((byte) node.length).put(node)
                .putLong(generation).putLong(sequence).putShort((short) payload.remaining()).put(payload);
        Mac mac = macs.get(key.id());
        mac.update(out.duplicate().position(start).limit(out.position()));
        try {
            mac.doFinal(expected, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        out.put(expected, 0, mac.getMacLength());
    }

    /** One datagram, checked: the sender, its generation and sequence, and where the payload is in the datagram. */
    public sealed interface Decoded {
        record Accepted(String node, long generation, long sequence, int payloadOffset, int payloadLength)
                implements Decoded {
        }

        record Rejected(HeartbeatCodec.Rejection reason, String detail) implements Decoded {
        }
    }

    /** Checks one datagram ({@code length} bytes of {@code in}). */
    public Decoded decode(byte[] in, int length) {
        ByteBuffer b = ByteBuffer.wrap(in, 0, length);
        try {
            if (b.getInt() != MAGIC) {
                return new Decoded.Rejected(HeartbeatCodec.Rejection.MALFORMED, "not an lbd sync datagram");
            }
            int version = b.get() & 0xff;
            if (version != VERSION) {
                return new Decoded.Rejected(HeartbeatCodec.Rejection.MALFORMED,
                        "sync protocol version " + version + " (this lbd speaks " + VERSION + ")");
            }
            int keyId = b.get() & 0xff;
            int nodeLength = b.get() & 0xff;
            byte[] node = new byte[nodeLength];
            b.get(node);
            long generation = b.getLong();
            long sequence = b.getLong();
            int payloadLength = b.getShort() & 0xffff;
            int payloadOffset = b.position();
            if (payloadLength > b.remaining()) {
                return new Decoded.Rejected(HeartbeatCodec.Rejection.MALFORMED, "truncated");
            }
            b.position(payloadOffset + payloadLength);
            int signedEnd = b.position();
            Mac mac = macs.get(keyId);
            if (mac == null) {
                return new Decoded.Rejected(HeartbeatCodec.Rejection.UNKNOWN_KEY,
                        "signed with key " + keyId + ", which authkeys here does not define");
            }
            int macLength = mac.getMacLength();
            if (b.remaining() != macLength) {
                return new Decoded.Rejected(HeartbeatCodec.Rejection.MALFORMED,
                        "signature is " + b.remaining() + " bytes, expected " + macLength);
            }
            mac.update(in, 0, signedEnd);
            mac.doFinal(expected, 0);
            b.get(got, 0, macLength);
            if (!MessageDigest.isEqual(java.util.Arrays.copyOf(got, macLength),
                    java.util.Arrays.copyOf(expected, macLength))) {
                return new Decoded.Rejected(HeartbeatCodec.Rejection.BAD_SIGNATURE,
                        "signature does not match key " + keyId);
            }
            return new Decoded.Accepted(new String(node, StandardCharsets.UTF_8), generation, sequence,
                    payloadOffset, payloadLength);
        } catch (BufferUnderflowException e) {
            return new Decoded.Rejected(HeartbeatCodec.Rejection.MALFORMED, "truncated");
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
