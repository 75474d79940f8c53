package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import java.net.InetSocketAddress;

/**
 * Any bytes as the start of an acceptproxy=yes client's connection, read as lbd reads them (Netty's decoder with
 * lbd's bound, then {@link ProxyHeaderReader#verdict}): the decoder either fails with a decoding error (the client is
 * closed), or still waits — only while the bytes are within the bound on a header's size — or returns a header, and
 * then the verdict is an address (client and VIP both set, or the socket's own for LOCAL) or a reason, never an
 * exception.
 *
 * <p>Seeds: v1 TCP4, TCP6 and UNKNOWN lines, v2 TCP4, TCP6 with a TLV and LOCAL, an HTTP request, in
 * {@code ProxyHeaderFuzzTestInputs}.
 */
class ProxyHeaderFuzzTest {

    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 40000);

    @FuzzTest(maxDuration = "3s")
    void anyBytesGetAVerdictWithinTheBound(byte[] bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(ProxyHeaderReader.decoder());
        try {
            try {
                channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            } catch (DecoderException malformed) {
                return; // the client is closed and counted
            }
            Object decoded = channel.readInbound();
            if (decoded == null) {
                assertThat(bytes.length).as("bytes held while waiting for the rest of a header")
                        .isLessThanOrEqualTo(ProxyHeaderReader.MAX_V2_HEADER_BYTES);
                return;
            }
            HAProxyMessage header = (HAProxyMessage) decoded;
            try {
                ProxyHeaderReader.Verdict verdict = ProxyHeaderReader.verdict(header, PEER);
                if (verdict.reason() == null) {
                    assertThat(verdict.client()).isNotNull();
                    assertThat(verdict.vip() == null).isEqualTo(verdict.client() == PEER);
                } else {
                    assertThat(verdict.client()).isNull();
                }
            } finally {
                header.release();
            }
        } finally {
            try {
                channel.finishAndReleaseAll();
            } catch (DecoderException afterClose) {
                // The decoder reads what is left once the channel is closed, and may fail again; lbd's reader has
                // already closed that client and ignores it.
            }
        }
    }
}
