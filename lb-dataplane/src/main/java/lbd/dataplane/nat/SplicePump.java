package lbd.dataplane.nat;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.epoll.AbstractEpollStreamChannel;

/**
 * One direction of a {@link ProxiedConnection} that has turned out to be bulk, moved with epoll's zero-copy
 * {@code spliceTo} (socket → kernel pipe → socket) instead of through user-space buffers. Confined to the
 * connection's event loop.
 *
 * <p>How it keeps what the copy path guarantees:
 * <ul>
 *   <li><b>Exact counters</b>: each chunk is no longer than what the source's receive queue already holds
 *       (FIONREAD), so it always completes unless the connection fails; it is counted when issued, as the copy
 *       path counts a read when it takes it (one chunk = one "packet"); a chunk cut short by a reset is still
 *       counted whole — its bytes had reached lbd's socket, as a read that cannot be forwarded any more.</li>
 *   <li><b>Back-pressure</b>: at most one chunk is in flight. Within it, the next splice round is asked for only
 *       while the target is writable; a splice write stuck on a full socket makes the target unwritable
 *       ({@link SpliceAwareSizeEstimator}), so what is in flight is bounded by the target's 64 KiB pipe and its
 *       socket buffer. The sender is held back by TCP flow control on the source socket.</li>
 *   <li><b>Half-close</b>: epoll signals the FIN (ChannelInputShutdownEvent) while a chunk may still be moving,
 *       and can read the rest of the socket after that in the same round. The FIN is therefore passed on only
 *       from a later task, once no chunk is in flight and the receive queue is empty. Finishing a
 *       chunk after the FIN means reading a half-closed socket, which needs {@link EpollInterestPin}.</li>
 *   <li><b>Reset / errors</b>: a failed chunk aborts both sides (RST), as a failed read or write does. If the
 *       target closes while a chunk is in flight, the source is closed at once (from the target's close future,
 *       synchronously): the pending splice task holds the number of the target's just-closed pipe, which must
 *       never be used again.</li>
 * </ul>
 *
 * <p>Netty's epoll channel clears any read request made during a read round once it has spliced (it clears
 * EPOLLIN after every round), so every read this pump asks for — including the copy-path reads it falls back
 * to when the receive queue is empty — is asked for from a task that runs after the round.
 */
final class SplicePump implements Runnable, ChannelFutureListener {

    /** Largest chunk: bounds how long a chunk can take, not what is in flight (the pipe bounds that). */
    static final int MAX_CHUNK_BYTES = 1 << 20;

    private final ProxiedConnection connection;
    private final NatLoop loop;
    private final AbstractEpollStreamChannel source;
    private final AbstractEpollStreamChannel target;
    private final boolean inbound;
    private ChannelFuture chunk;
    private boolean scheduled;
    private boolean finPending;

    SplicePump(ProxiedConnection connection, NatLoop loop, AbstractEpollStreamChannel source,
            AbstractEpollStreamChannel target, boolean inbound) {
        this.connection = connection;
        this.loop = loop;
        this.source = source;
        this.target = target;
        this.inbound = inbound;
        target.closeFuture().addListener(this);
    }

    /** Asks for the next step of this direction, from a task (see the class comment). */
    void schedule() {
        if (!scheduled) {
            scheduled = true;
            source.eventLoop().execute(this);
        }
    }

    /** The source sent FIN: pass it on once everything before it has been moved. */
    void inputShutdown() {
        finPending = true;
        schedule();
    }

    boolean chunkInFlight() {
        return chunk != null;
    }

    @Override
    public void run() {
        scheduled = false;
        if (!source.isOpen() || !target.isOpen() || connection.isFinished()) {
            return;
        }
        if (chunk != null) {
            // Continue the chunk: one more splice round, unless the target is still draining the last one.
            if (target.isWritable()) {
                source.read();
            }
            return;
        }
        int queued = loop.queuedBytes(source.fd().intValue());
        if (queued > 0) {
            if (target.isWritable()) {
                issue(Math.min(queued, MAX_CHUNK_BYTES));
            }
            return; // else channelWritabilityChanged on the target schedules this again
        }
        if (finPending) {
            finPending = false;
            connection.passInputShutdown(source);
            return;
        }
        // Nothing queued: wait for data with an ordinary read (the copy path also sees a FIN or a reset).
        if (target.isWritable() && connection.mayRead(source)) {
            source.read();
        }
    }

    private void issue(int bytes) {
        connection.countSpliced(inbound, bytes);
        loop.spliced(bytes);
        ChannelFuture future = source.spliceTo(target, bytes);
        chunk = future;
        future.addListener(this);
        if (chunk == future) {
            source.read();
        }
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        if (future == target.closeFuture()) {
            if (chunk != null && source.isOpen()) {
                connection.spliceBroken(source);
            }
            return;
        }
        if (future != chunk) {
            return;
        }
        chunk = null;
        if (future.isSuccess()) {
            connection.spliceProgress();
            schedule();
        } else {
            connection.spliceFailed(source, future.cause());
        }
    }
}
