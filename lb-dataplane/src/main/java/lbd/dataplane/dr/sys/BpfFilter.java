package lbd.dataplane.dr.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The classic BPF program attached to every DR packet socket: no frame with a VLAN tag (the VLAN's interface takes
 * those); only ARP frames, IPv4 and IPv6 frames addressed
 * to one of the DR VIPs, and (with an IPv6 VIP) ICMPv6 for neighbour discovery reach user space; everything else the kernel keeps to itself. The user-space parser
 * still checks every field; the filter only saves the copies.
 */
public final class BpfFilter {

    /** A jump offset is one byte, so a longer VIP list would not fit; above it every IPv4 frame is taken. */
    public static final int MAX_VIPS = 250;
    /** The same for IPv6 VIPs (eight instructions each); above it every IPv6 frame is taken. */
    public static final int MAX_VIPS6 = 30;

    private static final short LD_H_ABS = 0x28;
    private static final short LD_W_ABS = 0x20;
    private static final short LD_B_ABS = 0x30;
    private static final short JEQ_K = 0x15;
    private static final short RET_K = 0x06;
    private static final int ACCEPT_LENGTH = 0x40000;
    // The kernel's ancillary load of "the frame carries a VLAN tag outside its data" (SKF_AD_OFF + 48).
    private static final int ANCILLARY_VLAN_TAG_PRESENT = -0x1000 + 48;
    // The kernel's ancillary load of the frame's packet type (SKF_AD_OFF + SKF_AD_PKTTYPE).
    private static final int ANCILLARY_PACKET_TYPE = -0x1000 + 4;
    /** The packet type of a frame this host sends (linux/if_packet.h). */
    public static final int PACKET_OUTGOING = 4;
    // Every program starts with two drops. A frame whose VLAN tag the NIC or driver took off (metadata): the VLAN's
    // own interface (eth0.10) receives it untagged; without this, a socket on the parent would forward it untagged,
    // onto the wrong network, and twice when lbd also listens on the VLAN interface. A frame this host sends: the
    // workers' own forwarded frames, still addressed to the VIP, pass every tap on their egress interface, and
    // PACKET_IGNORE_OUTGOING does not reach a socket in a fanout group (the group's hook is the one the kernel
    // asks); without this, each frame sent out of an interface lbd also receives on came back into a ring, to be
    // read and dropped as not for this host.
    private static final int PREFIX = 6;

    private final short[] code;
    private final byte[] jt;
    private final byte[] jf;
    private final int[] k;

    private BpfFilter(int length) {
        code = new short[PREFIX + length];
        jt = new byte[PREFIX + length];
        jf = new byte[PREFIX + length];
        k = new int[PREFIX + length];
        setAt(0, LD_W_ABS, 0, 0, ANCILLARY_VLAN_TAG_PRESENT);
        setAt(1, JEQ_K, 0, 1, 1);
        setAt(2, RET_K, 0, 0, 0);
        setAt(3, LD_W_ABS, 0, 0, ANCILLARY_PACKET_TYPE);
        setAt(4, JEQ_K, 0, 1, PACKET_OUTGOING);
        setAt(5, RET_K, 0, 0, 0);
    }

    /** The filter for these IPv4 VIPs (big-endian ints). */
    public static BpfFilter forVips(int[] vips) {
        return forVips(vips, new long[0]);
    }

    /**
     * The filter for these VIPs: IPv4 as big-endian ints, IPv6 as (high, low) pairs of 64-bit halves. With an
     * IPv6 VIP, every ICMPv6 packet is taken too (neighbour solicitations for the VIPs go to multicast groups;
     * the parser picks them out).
     */
    public static BpfFilter forVips(int[] vips, long[] vip6Pairs) {
        boolean all = vips.length > MAX_VIPS;
        int n = all ? 0 : vips.length;
        int n6 = vip6Pairs.length / 2;
        boolean all6 = n6 > MAX_VIPS6;
        int v6Length = n6 == 0 ? 1 : all6 ? 1 : 2 + 8 * n6 + 2;
        int v4 = 4 + v6Length;                 // the IPv4 block's first instruction
        BpfFilter f = new BpfFilter(v4 + 2 + n + 2);
        f.set(0, LD_H_ABS, 0, 0, 12);                                   // EtherType
        f.set(1, JEQ_K, 0, 1, 0x0806);                                  // ARP: take
        f.set(2, RET_K, 0, 0, ACCEPT_LENGTH);
        f.set(3, JEQ_K, 0, v4 - 4, 0x86dd);                             // IPv6: the block below
        if (n6 == 0) {
            f.set(4, RET_K, 0, 0, 0);
        } else if (all6) {
            f.set(4, RET_K, 0, 0, ACCEPT_LENGTH);
        } else {
            int drop6 = 4 + v6Length - 2;
            int accept6 = drop6 + 1;
            f.set(4, LD_B_ABS, 0, 0, 20);                               // next header
            f.set(5, JEQ_K, accept6 - 6, 0, 58);                        // ICMPv6: take
            for (int i = 0; i < n6; i++) {
                int at = 6 + 8 * i;
                int next = at + 8;
                long hi = vip6Pairs[2 * i];
                long lo = vip6Pairs[2 * i + 1];
                int[] words = {(int) (hi >>> 32), (int) hi, (int) (lo >>> 32), (int) lo};
                for (int w = 0; w < 4; w++) {
                    int ld = at + 2 * w;
                    f.set(ld, LD_W_ABS, 0, 0, 38 + 4 * w);              // IPv6 destination, word w
                    int jeq = ld + 1;
                    f.set(jeq, JEQ_K, w == 3 ? accept6 - jeq - 1 : 0, next - jeq - 1, words[w]);
                }
            }
            f.set(drop6, RET_K, 0, 0, 0);
            f.set(accept6, RET_K, 0, 0, ACCEPT_LENGTH);
        }
        int drop = v4 + 2 + n;
        int accept = drop + 1;
        f.set(v4, JEQ_K, all ? accept - v4 - 1 : 0, drop - v4 - 1, 0x0800); // not IPv4 either: drop
        f.set(v4 + 1, LD_W_ABS, 0, 0, 30);                              // IPv4 destination
        for (int i = 0; i < n; i++) {
            int at = v4 + 2 + i;
            f.set(at, JEQ_K, accept - at - 1, 0, vips[i]);
        }
        f.set(drop, RET_K, 0, 0, 0);
        f.set(accept, RET_K, 0, 0, ACCEPT_LENGTH);
        return f;
    }

    /** Instruction {@code i} of the program after the prefix (jumps are relative, so the prefix shifts nothing). */
    private void set(int i, short op, int jumpTrue, int jumpFalse, int value) {
        setAt(PREFIX + i, op, jumpTrue, jumpFalse, value);
    }

    private void setAt(int i, short op, int jumpTrue, int jumpFalse, int value) {
        code[i] = op;
        jt[i] = (byte) jumpTrue;
        jf[i] = (byte) jumpFalse;
        k[i] = value;
    }

    public int length() {
        return code.length;
    }

    /** Runs the program on a received frame, as the kernel would: the accepted length, 0 for drop. Tests use it. */
    public int run(byte[] frame) {
        return run(frame, 0);
    }

    /** The same for a frame of this packet type (PACKET_HOST 0, ..., {@link #PACKET_OUTGOING}). */
    public int run(byte[] frame, int packetType) {
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
                    if (k[pc] == ANCILLARY_VLAN_TAG_PRESENT || k[pc] == ANCILLARY_PACKET_TYPE) {
                        // a frame given as bytes carries any tag in its data
                        acc = k[pc] == ANCILLARY_PACKET_TYPE ? packetType : 0;
                        pc++;
                        continue;
                    }
                    if (k[pc] + 4 > frame.length) {
                        return 0;
                    }
                    acc = ((frame[k[pc]] & 0xff) << 24) | ((frame[k[pc] + 1] & 0xff) << 16)
                            | ((frame[k[pc] + 2] & 0xff) << 8) | (frame[k[pc] + 3] & 0xff);
                }
                case LD_B_ABS -> {
                    if (k[pc] + 1 > frame.length) {
                        return 0;
                    }
                    acc = frame[k[pc]] & 0xff;
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
