package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits in an epoll listener's pipeline, before Netty's acceptor, and pins each accepted channel's epoll
 * interest ({@link EpollInterestPin}) while it is not yet registered, so that the EPOLL_CTL_ADD of its
 * registration already carries the pin instead of a separate EPOLL_CTL_MOD once it is active. Stateless: one
 * instance serves every listener.
 */
@ChannelHandler.Sharable
final class EpollAcceptedPin extends ChannelInboundHandlerAdapter {

    static final EpollAcceptedPin INSTANCE = new EpollAcceptedPin();

    private EpollAcceptedPin() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Channel accepted) {
            EpollInterestPin.pinBeforeRegistration(accepted);
        }
        ctx.fireChannelRead(msg);
    }
}
