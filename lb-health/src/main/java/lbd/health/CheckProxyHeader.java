package lbd.health;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import lbd.config.model.ProxyProtocol;

/**
 * The PROXY header a health check sends first to a real server of a {@code proxyprotocol=} service, as HAProxy's
 * {@code check-send-proxy}: a real server that expects the header (nginx {@code listen ... proxy_protocol},
 * HAProxy {@code accept-proxy}) rejects a connection without one, and would fail every check. A check is lbd's own
 * connection, not a client's, so it carries no client address — the header HAProxy sends for its own checks:
 * v1 {@code PROXY UNKNOWN\r\n}, v2 the LOCAL command with no address (the receiver then uses the connection's own
 * addresses; nginx logs an empty {@code $proxy_protocol_addr}).
 *
 * <p>Fixed bytes, written here rather than with Netty's encoder (lb-health does not use Netty); the test decodes
 * them with Netty's decoder.
 */
final class CheckProxyHeader {

    // proxy-protocol.txt 2.1: the v1 line for a connection whose addresses are not given.
    private static final byte[] V1 = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
    // proxy-protocol.txt 2.2: the 12-byte signature, version 2 + LOCAL (0x20), family UNSPEC (0x00), length 0.
    private static final byte[] V2 = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};

    private CheckProxyHeader() {
    }

    /** The header's bytes for {@code version}; empty for OFF. A copy: the caller may keep it. */
    static byte[] bytes(ProxyProtocol version) {
        return switch (version) {
            case OFF -> new byte[0];
            case V1 -> V1.clone();
            case V2 -> V2.clone();
        };
    }

    /** Writes the header (nothing for OFF) to a connected blocking socket's stream. */
    static void write(ProxyProtocol version, OutputStream out) throws IOException {
        if (version != ProxyProtocol.OFF) {
            out.write(version == ProxyProtocol.V1 ? V1 : V2);
        }
    }

    /** A read-only buffer of the header for non-blocking writes; rewind it before each use. */
    static ByteBuffer buffer(ProxyProtocol version) {
        return ByteBuffer.wrap(bytes(version)).asReadOnlyBuffer();
    }
}
