package lbd.dataplane.dr.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The classic BPF program attached to every DR packet socket: only ARP frames and IPv4 frames addressed to
 * one of the DR VIPs reach user space; everything else the kernel keeps to itself. The user-space parser
 * still checks every field; the filter only saves the copies.
 */
public final class BpfFilter {

    /** A jump offset is one byte, so a longer VIP list would not fit; above it every IPv4 frame is taken. */
    public static final int MAX_VIPS = 250;

    private static final short LD_H_ABS = 0x28;
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short RET_K = 0x06;
    private static final int ACCEPT_LENGTH = 0x40000;

    private final short[] code;
    private final byte[] jt;
    private final byte[] jf;
    private final int[] k;

    private BpfFilter(int length) {
        code = new short[length];
        jt = new byte[length];
        jf = new byte[length];
        k = new int[length];
    }

    /** The filter for these VIPs (IPv4 addresses as big-endian ints). */
    public static BpfFilter forVips(int[] vips) {
        boolean all = vips.length > MAX_VIPS;
        int n = all ? 0 : vips.length;
        BpfFilter f = new BpfFilter(6 + n);
        int drop = 4 + n;
        int accept = 5 + n;
        f.set(0, LD_H_ABS, 0, 0, 12);                                   // EtherType
        f.set(1, JEQ_K, accept - 2, 0, 0x0806);                         // ARP: take
        f.set(2, JEQ_K, all ? accept - 3 : 0, drop - 3, 0x0800);        // not IPv4: drop
        f.set(3, LD_W_ABS, 0, 0, 30);                                   // IPv4 destination
        for (int i = 0; i < n; i++) {
            f.set(4 + i, JEQ_K, accept - (4 + i) - 1, 0, vips[i]);
        }
        f.set(drop, RET_K, 0, 0, 0);
        f.set(accept, RET_K, 0, 0, ACCEPT_LENGTH);
        return f;
    }

    private void set(int i, short op, int jumpTrue, int jumpFalse, int value) {
        code[i] = op;
        jt[i] = (byte) jumpTrue;
        jf[i] = (byte) jumpFalse;
        k[i] = value;
    }

    public int length() {
        return code.length;
    }

    /** Runs the program on a frame, as the kernel would: returns the accepted length, 0 for drop. Tests use it. */
    public int run(byte[] frame) {
        int acc = 0;
        int pc = 0;
        while (pc < code.length) {
            switch (code[pc]) {
                case LD_H_ABS -> {
                    if (k[pc] + 2 > frame.length) {
                        return 0;
                    }
                    acc = ((frame[k[pc]] & 0xff) << 8) | (frame[k[pc] + 1] & 0xff);
                }
                case LD_W_ABS -> {
                    if (k[pc] + 4 > frame.length) {
                        return 0;
                    }
                    acc = ((frame[k[pc]] & 0xff) << 24) | ((frame[k[pc] + 1] & 0xff) << 16)
                            | ((frame[k[pc] + 2] & 0xff) << 8) | (frame[k[pc] + 3] & 0xff);
                }
                case JEQ_K -> {
                    pc += acc == k[pc] ? (jt[pc] & 0xff) : (jf[pc] & 0xff);
                }
                case RET_K -> {
                    return Math.min(k[pc], frame.length);
                }
                default -> throw new IllegalStateException("opcode " + code[pc]);
            }
            pc++;
        }
        return 0;
    }

    /** struct sock_fprog pointing at the instructions, both in the arena. */
    MemorySegment toSockFprog(Arena arena) {
        MemorySegment insns = arena.allocate(8L * code.length, 8);
        for (int i = 0; i < code.length; i++) {
            long at = 8L * i;
            insns.set(ValueLayout.JAVA_SHORT, at, code[i]);
            insns.set(ValueLayout.JAVA_BYTE, at + 2, jt[i]);
            insns.set(ValueLayout.JAVA_BYTE, at + 3, jf[i]);
            insns.set(ValueLayout.JAVA_INT, at + 4, k[i]);
        }
        MemorySegment prog = arena.allocate(16, 8);
        prog.set(ValueLayout.JAVA_SHORT, 0, (short) code.length);
        prog.set(ValueLayout.ADDRESS, 8, insns);
        return prog;
    }
}
