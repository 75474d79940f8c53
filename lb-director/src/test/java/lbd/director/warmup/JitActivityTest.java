package lbd.director.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Compiler.queue's text as HotSpot 25 writes it, idle and at work on the connection path or elsewhere. */
class JitActivityTest {

    @Test
    void emptyQueuesAndNoCurrentCompileAreIdle() {
        assertThat(JitActivity.idle("""
                Current compiles:\s

                C1 compile queue:
                Empty

                C2 compile queue:
                Empty
                """)).isTrue();
    }

    @Test
    void aCompileOfThePathUnderWayOrWaitingIsNotIdle() {
        assertThat(JitActivity.idle("""
                Current compiles:\s
                C2 CompilerThread0  3610   !   4       io.netty.channel.uring.AbstractIoUringStreamChannel$IoUringStreamUnsafe::readComplete0 (520 bytes)

                C1 compile queue:
                Empty

                C2 compile queue:
                Empty
                """)).isFalse();
        assertThat(JitActivity.idle("""
                Current compiles:\s

                C1 compile queue:
                Empty

                C2 compile queue:
                3598       4       org.HdrHistogram.Histogram::incrementTotalCount (11 bytes)
                """)).isFalse();
    }

    @Test
    void theJdksOwnMethodsDoNotCount() {
        assertThat(JitActivity.idle("""
                Current compiles:\s
                C2 CompilerThread0  3611       4       sun.nio.ch.NioSocketImpl::read (161 bytes)

                C1 compile queue:
                3609       3       java.lang.String::indexOf (65 bytes)

                C2 compile queue:
                Empty
                """)).isTrue();
    }

    @Test
    void thisJvmAnswers() {
        JitActivity jit = JitActivity.ofThisJvm();
        assertThat(jit).isNotNull();
        jit.idle(); // runs the command: either answer is right at any moment
    }

    /** Compiler.codelist's text as HotSpot 25 writes it: only the path's methods with C2 code in use count. */
    @Test
    void thePathsMethodsWithTopTierCodeInUseAreCounted() {
        assertThat(JitActivity.pathMethodsAtTopTier("""
                4141 4 0 lbd.dataplane.sched.WeightedRoundRobin.pick(Llbd/dataplane/table/ServiceTable;)I [0x00007f5db0ec7010, 0x00007f5db0ec71c0 - 0x00007f5db0ec7430]
                4169 4 0 io.netty.channel.DefaultChannelPipeline.fireChannelActive()Lio/netty/channel/ChannelPipeline; [0x1, 0x2 - 0x3]
                2991 2 0 lbd.dataplane.nat.ProxiedConnection.channelActive(Lio/netty/channel/ChannelHandlerContext;)V [0x1, 0x2 - 0x3]
                3598 3 0 org.HdrHistogram.Histogram.incrementTotalCount()V [0x1, 0x2 - 0x3]
                3601 4 0 org.HdrHistogram.AbstractHistogram.recordValue(J)V [0x1, 0x2 - 0x3]
                3602 4 1 lbd.dataplane.nat.NatLoop.socketAddress(Llbd/config/model/Endpoint;)Ljava/net/InetSocketAddress; [0x1, 0x2 - 0x3]
                20 4 0 jdk.internal.misc.Unsafe.compareAndSetLong(Ljava/lang/Object;JJJ)Z [0x1, 0x2 - 0x3]
                10 0 0 java.lang.System.arraycopy(Ljava/lang/Object;ILjava/lang/Object;II)V [0x1, 0x2 - 0x3]
                """)).isEqualTo(3);
        assertThat(JitActivity.pathMethodsAtTopTier("859:\n")).isZero();
    }
}
