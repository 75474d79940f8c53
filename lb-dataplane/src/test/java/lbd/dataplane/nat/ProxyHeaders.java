package lbd.dataplane.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.nio.charset.StandardCharsets;

/** Reads what a real server received as Netty's decoder does: the PROXY header, and the bytes after it. */
record ProxyHeaders(HAProxyMessage header, String rest) {

    static ProxyHeaders decode(byte[] received) {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(received));
            HAProxyMessage header = channel.readInbound();
            StringBuilder rest = new StringBuilder();
            Object more;
            while ((more = channel.readInbound()) != null) {
                ByteBuf buf = (ByteBuf) more;
                rest.append(buf.toString(StandardCharsets.US_ASCII));
                buf.release();
            }
            return new ProxyHeaders(header, rest.toString());
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
