package lbd.director.ha;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import javax.crypto.Mac;

/**
 * The heartbeat wire format, every message signed with an HMAC from authkeys:
 * <pre>
 *   "LBHB" | version u8 | key id u8 | role u8 | node length u8 | node (UTF-8)
 *   | generation i64 | sequence i64 | timestamp ms i64 | HMAC(key, all the bytes before it)
 * </pre>
 * The key id says which authkeys line signed it, so keys can be rolled one node at a time. Signatures are
 * compared in constant time. Not thread-safe: the HA thread owns its codec (the Mac instances are reused).
 */
public final class HeartbeatCodec {

    public static final int MAX_LENGTH = 512;
    static final int MAGIC = 0x4C424842; // "LBHB"
    static final int VERSION = 1;

    private final AuthKeys keys;
    private final Map<Integer, Mac> macs;
    private final byte[] expected = new byte[64];

    public HeartbeatCodec(AuthKeys keys) {
        this.keys = keys;
        this.macs = keys.newMacs();
    }

    /** Writes {@code m}, signed with authkeys' sending key, at {@code out}'s position. */
    public void encode(HeartbeatMessage m, ByteBuffer out) {
        byte[] node = m.node().getBytes(StandardCharsets.UTF_8);
        if (node.length > 255) {
            throw new IllegalArgumentException("node name longer than 255 bytes: " + m.node());
        }
        AuthKey key = keys.sendKey();
        int start = out.position();
        out.putInt(MAGIC).put((byte) VERSION).put((byte) key.id()).put((byte) m.role().ordinal())
                .put((byte) node.length).put(node)
                .putLong(m.generation()).putLong(m.sequence()).putLong(m.timestampMillis());
        Mac mac = macs.get(key.id());
        ByteBuffer signed = out.duplicate().position(start).limit(out.position());
        mac.update(signed);
        out.put(mac.doFinal());
    }

    /** Reads one datagram (position..limit) and checks its signature. */
    public Decoded decode(ByteBuffer in) {
        int start = in.position();
        try {
            if (in.getInt() != MAGIC) {
                return new Decoded.Rejected(Rejection.MALFORMED, "not an lbd heartbeat");
            }
            int version = in.get() & 0xff;
            if (version != VERSION) {
                return new Decoded.Rejected(Rejection.MALFORMED, "protocol version " + version + " (this lbd speaks " + VERSION + ")");
            }
            int keyId = in.get() & 0xff;
            HaRole role = HaRole.fromCode(in.get() & 0xff);
            int nodeLength = in.get() & 0xff;
            byte[] node = new byte[nodeLength];
            in.get(node);
            long generation = in.getLong();
            long sequence = in.getLong();
            long timestamp = in.getLong();
            int signedEnd = in.position();
            Mac mac = macs.get(keyId);
            if (mac == null) {
                return new Decoded.Rejected(Rejection.UNKNOWN_KEY, "signed with key " + keyId + ", which authkeys here does not define");
            }
            int macLength = mac.getMacLength();
            if (in.remaining() != macLength) {
                return new Decoded.Rejected(Rejection.MALFORMED, "signature is " + in.remaining() + " bytes, expected " + macLength);
            }
            mac.update(in.duplicate().position(start).limit(signedEnd));
            mac.doFinal(expected, 0);
            byte[] got = new byte[macLength];
            in.get(got);
            if (!MessageDigest.isEqual(got, java.util.Arrays.copyOf(expected, macLength))) {
                return new Decoded.Rejected(Rejection.BAD_SIGNATURE, "signature does not match key " + keyId);
            }
            if (role == null) {
                return new Decoded.Rejected(Rejection.MALFORMED, "unknown role");
            }
            return new Decoded.Accepted(new HeartbeatMessage(new String(node, StandardCharsets.UTF_8), generation, sequence, role, timestamp));
        } catch (BufferUnderflowException e) {
            return new Decoded.Rejected(Rejection.MALFORMED, "truncated");
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Why a datagram was dropped. */
    public enum Rejection {
        MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, REPLAYED, STALE_GENERATION, UNKNOWN_NODE
    }

    /** The outcome of decoding one datagram. */
    public sealed interface Decoded {
        record Accepted(HeartbeatMessage message) implements Decoded {
        }

        record Rejected(Rejection reason, String detail) implements Decoded {
        }
    }
}
