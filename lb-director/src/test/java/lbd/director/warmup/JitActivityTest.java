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
}
