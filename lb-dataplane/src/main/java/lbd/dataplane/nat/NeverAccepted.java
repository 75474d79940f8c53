package lbd.dataplane.nat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;

/**
 * The child handler a ServerBootstrap insists on: its acceptor never gets a channel, because the
 * {@link VipAcceptor} before it in the listener's pipeline takes every one.
 */
@ChannelHandler.Sharable
final class NeverAccepted extends ChannelHandlerAdapter {

    static final NeverAccepted INSTANCE = new NeverAccepted();

    private NeverAccepted() {
    }
}
