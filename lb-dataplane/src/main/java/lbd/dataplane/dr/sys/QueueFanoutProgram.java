package lbd.dataplane.dr.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The classic BPF program of a PACKET_FANOUT_CBPF group whose member w must get the frames of receive queue q for
 * every q mod members == w: what the AF_XDP sockets of the same workers get (worker w has queue w's), so that a
 * connection's frames reach one worker whichever path they take.
 *
 * <p>PACKET_FANOUT_QM cannot say that: it takes {@code skb->queue_mapping} mod members, and a driver that records
 * the receive queue stores q + 1 there ({@code skb_record_rx_queue}); generic XDP takes q. A device that records none
 * (veth) leaves 0, which XDP takes as queue 0. So: 0 stays 0, anything else is one less; the kernel takes the result
 * mod members.
 */
final class QueueFanoutProgram {

    private static final int ANCILLARY_QUEUE = -0x1000 + 20; // SKF_AD_OFF + SKF_AD_QUEUE: skb->queue_mapping
    private static final long[] CODE = {
        insn(0x20, 0, 0, ANCILLARY_QUEUE), // ld [queue_mapping]
        insn(0x15, 2, 0, 0),               // jeq #0: not recorded, queue 0
        insn(0x14, 0, 0, 1),               // sub #1
        insn(0x16, 0, 0, 0),               // ret a
        insn(0x06, 0, 0, 0),               // ret #0
    };

    private QueueFanoutProgram() {
    }

    /** struct sock_fprog with the instructions, both in the arena (for PACKET_FANOUT_DATA). */
    static MemorySegment toSockFprog(Arena arena) {
        MemorySegment insns = arena.allocate(8L * CODE.length, 8);
        MemorySegment.copy(CODE, 0, insns, ValueLayout.JAVA_LONG, 0, CODE.length);
        MemorySegment prog = arena.allocate(16, 8);
        prog.set(ValueLayout.JAVA_SHORT, 0, (short) CODE.length);
        prog.set(ValueLayout.ADDRESS, 8, insns);
        return prog;
    }

    /** struct sock_filter as one little-endian word: code (16 bits), jt, jf, k (32 bits). */
    private static long insn(int code, int jumpTrue, int jumpFalse, int k) {
        return (code & 0xffffL) | ((jumpTrue & 0xffL) << 16) | ((jumpFalse & 0xffL) << 24) | ((long) k << 32);
    }
}
