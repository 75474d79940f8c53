package lbd.dataplane.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.MessageSizeEstimator;

/**
 * Sizes what waits in a channel's outbound buffer for its writability. Bytes count as themselves; anything else
 * — in this proxy only epoll's internal splice write, which moves bytes from a kernel pipe to the socket — counts
 * as more than the high water mark. So a channel is unwritable exactly while a splice into it is stuck on a full
 * socket, and turns writable (firing channelWritabilityChanged) the moment the pipe is drained: the same signal
 * the copy path uses to ask for the next read. (Netty's default counts such a write as 8 bytes, which would never
 * stop the source.)
 */
final class SpliceAwareSizeEstimator implements MessageSizeEstimator, MessageSizeEstimator.Handle {

    static final SpliceAwareSizeEstimator INSTANCE = new SpliceAwareSizeEstimator();

    private final int notBytes = NatLoop.WATER_MARK.high() + 1;

    private SpliceAwareSizeEstimator() {
    }

    @Override
    public Handle newHandle() {
        return this;
    }

    @Override
    public int size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        return notBytes;
    }
}
