package lbd.dataplane.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.MessageSizeEstimator;

/**
 * Sizes a queued datagram by the memory its buffer holds (capacity), not by its payload: each datagram is read
 * into a buffer large enough for the largest one (see {@link UdpFlow#MAX_DATAGRAM_BYTES}), so a queue of small
 * datagrams holds far more memory than their bytes. The write-buffer water marks of UDP sockets thus bound memory.
 */
final class DatagramSizeEstimator implements MessageSizeEstimator, MessageSizeEstimator.Handle {

    static final DatagramSizeEstimator INSTANCE = new DatagramSizeEstimator();

    private DatagramSizeEstimator() {
    }

    @Override
    public Handle newHandle() {
        return this;
    }

    @Override
    public int size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.capacity();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().capacity();
        }
        return 0;
    }
}
