package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the proxy relies on without setting it itself (each option set again costs a system call per socket):
 * Netty's channel config turns Nagle's algorithm off on every transport, so a small reply is not held back
 * waiting for an ACK.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NatSocketDefaultsTest {

    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void everyTransportsSocketsHaveTcpNoDelayWithoutTheProxyAskingForIt(TransportKind kind) throws Exception {
        assumeTrue(NettyTransport.isAvailable(kind),
                () -> "transport " + kind + " is not available here: " + NettyTransport.unavailabilityCause(kind));
        SocketChannel channel = NettyTransport.select(kind.request()).socketChannelClass()
                .getConstructor().newInstance();
        try {
            assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
        } finally {
            channel.unsafe().closeForcibly();
        }
    }
}
