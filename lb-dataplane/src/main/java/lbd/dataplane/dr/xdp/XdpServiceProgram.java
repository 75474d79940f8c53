package lbd.dataplane.dr.xdp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The XDP program on each DR interface, as BPF instructions (no BPF compiler at build or run time): it takes the
 * frames of the DR services to the interface's AF_XDP sockets and leaves every other frame to the kernel.
 *
 * <p>A frame is taken when it is addressed to the interface's own MAC, untagged, not longer than {@code maxFrame}
 * holds, and is
 * <ul>
 *   <li>IPv4 without options and not a fragment, TCP or UDP, whose (destination address, protocol, destination port)
 *       or (address, protocol, port 0) is a key of the {@code services4} map; or</li>
 *   <li>IPv6 whose next header is TCP or UDP (no extension header), looked up the same way in {@code services6}.</li>
 * </ul>
 * It goes to the socket of the queue it arrived on ({@code bpf_redirect_map} on the XSKMAP, keyed by the queue);
 * a queue without a socket, and every frame not taken, goes on to the kernel ({@code XDP_PASS}) and so to the
 * workers' packet sockets, which handle what this program leaves out (options, fragments, extension headers, ARP
 * and neighbour discovery, and frames longer than an AF_XDP frame, as GRO makes) as before.
 *
 * <p>Keys: IPv4 8 bytes, the address as on the wire, the protocol, a zero byte, the port as on the wire; IPv6 20
 * bytes, the same with the 16-byte address ({@link XdpReceive#key} writes them).
 */
final class XdpServiceProgram {

    // Registers: r0 return, r1-r5 arguments (clobbered by calls), r6-r9 kept across calls, r10 the frame pointer.
    private static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R6 = 6, R7 = 7, R8 = 8, FP = 10;
    // Opcodes (include/uapi/linux/bpf.h, bpf_common.h).
    private static final int LDX_W = 0x61, LDX_H = 0x69, LDX_B = 0x71;
    private static final int STX_W = 0x63, STX_H = 0x6b, STX_B = 0x73, ST_H = 0x6a, ST_B = 0x72;
    private static final int MOV64_X = 0xbf, MOV64_K = 0xb7, ADD64_K = 0x07, AND32_K = 0x54;
    private static final int JGT_X = 0x2d, JNE_K = 0x55, JA = 0x05, CALL = 0x85, EXIT = 0x95;
    private static final int JEQ32_K = 0x16, JNE32_K = 0x56;
    private static final int LD_IMM64 = 0x18, PSEUDO_MAP_FD = 1;
    private static final int HELPER_MAP_LOOKUP_ELEM = 1, HELPER_REDIRECT_MAP = 51;
    private static final int XDP_PASS = 2;

    private final List<Long> code = new ArrayList<>();
    private final Map<Integer, String> jumps = new HashMap<>(); // instruction index -> label it jumps to
    private final Map<String, Integer> labels = new HashMap<>();

    private XdpServiceProgram() {
    }

    /**
     * @param xsks      the interface's XSKMAP (queue index -> AF_XDP socket)
     * @param services4 the IPv4 services map, {@code services6} the IPv6 one
     * @param mac       the interface's MAC, the low 48 bits, first byte on the wire most significant
     * @param maxFrame  the longest frame taken (at most what an AF_XDP frame of the sockets holds)
     */
    static long[] assemble(int xsks, int services4, int services6, long mac, int maxFrame) {
        XdpServiceProgram p = new XdpServiceProgram();
        p.op(MOV64_X, R6, R1, 0, 0);                  // r6 = ctx
        p.op(LDX_W, R7, R6, 0, 0);                    // r7 = ctx->data
        p.op(LDX_W, R8, R6, 4, 0);                    // r8 = ctx->data_end
        p.op(MOV64_X, R1, R7, 0, 0);                  // longer than maxFrame (GRO, TSO): the packet sockets'
        p.op(ADD64_K, R1, 0, 0, maxFrame);            // (data_end - data would need CAP_PERFMON: a comparison
        p.jump(JGT_X, R8, R1, 0, "pass");             // of packet pointers needs nothing more than the load)
        p.bounds(14);
        // The destination MAC, loaded as the CPU's little-endian words of the wire's bytes.
        int low = (int) (Long.reverseBytes(mac << 16) & 0xffffffffL);  // bytes 0-3
        int high = (int) (Long.reverseBytes(mac) >>> 48) & 0xffff;      // bytes 4-5
        p.op(LDX_W, R1, R7, 0, 0);
        p.jump(JNE32_K, R1, 0, low, "pass");
        p.op(LDX_H, R1, R7, 4, 0);
        p.jump(JNE32_K, R1, 0, high, "pass");
        p.op(LDX_H, R1, R7, 12, 0);                   // EtherType
        p.jump(JEQ32_K, R1, 0, 0x0008, "ipv4");       // 0x0800 on the wire
        p.jump(JEQ32_K, R1, 0, 0xdd86, "ipv6");       // 0x86dd on the wire
        p.jump(JA, 0, 0, 0, "pass");                  // tagged, ARP, anything else

        p.label("ipv4");
        p.bounds(14 + 20 + 4);
        p.op(LDX_B, R1, R7, 14, 0);
        p.jump(JNE32_K, R1, 0, 0x45, "pass");         // version 4 without options
        p.op(LDX_H, R1, R7, 20, 0);
        p.op(AND32_K, R1, 0, 0, 0xff3f);              // more fragments, fragment offset (0x3fff on the wire)
        p.jump(JNE32_K, R1, 0, 0, "pass");
        p.op(LDX_W, R1, R7, 30, 0);                   // key: destination address
        p.op(STX_W, FP, R1, -8, 0);
        p.op(LDX_B, R1, R7, 23, 0);                   // protocol
        p.op(STX_B, FP, R1, -4, 0);
        p.op(ST_B, FP, 0, -3, 0);
        p.op(LDX_H, R1, R7, 36, 0);                   // destination port
        p.op(STX_H, FP, R1, -2, 0);
        p.lookup(services4, -8);
        p.op(ST_H, FP, 0, -2, 0);                     // then the service on every port (port 0)
        p.lookup(services4, -8);
        p.jump(JA, 0, 0, 0, "pass");

        p.label("ipv6");
        p.bounds(14 + 40 + 4);
        for (int i = 0; i < 4; i++) {                 // key: destination address
            p.op(LDX_W, R1, R7, 38 + 4 * i, 0);
            p.op(STX_W, FP, R1, -24 + 4 * i, 0);
        }
        p.op(LDX_B, R1, R7, 20, 0);                   // next header
        p.op(STX_B, FP, R1, -8, 0);
        p.op(ST_B, FP, 0, -7, 0);
        p.op(LDX_H, R1, R7, 56, 0);                   // destination port
        p.op(STX_H, FP, R1, -6, 0);
        p.lookup(services6, -24);
        p.op(ST_H, FP, 0, -6, 0);
        p.lookup(services6, -24);
        p.jump(JA, 0, 0, 0, "pass");

        p.label("redirect");
        p.loadMap(R1, xsks);
        p.op(LDX_W, R2, R6, 16, 0);                   // ctx->rx_queue_index
        p.op(MOV64_K, R3, 0, 0, XDP_PASS);            // no socket on that queue: the kernel's
        p.op(CALL, 0, 0, 0, HELPER_REDIRECT_MAP);
        p.op(EXIT, 0, 0, 0, 0);

        p.label("pass");
        p.op(MOV64_K, R0, 0, 0, XDP_PASS);
        p.op(EXIT, 0, 0, 0, 0);
        return p.link();
    }

    /** Goes to "pass" unless the frame has {@code length} bytes. */
    private void bounds(int length) {
        op(MOV64_X, R1, R7, 0, 0);
        op(ADD64_K, R1, 0, 0, length);
        jump(JGT_X, R1, R8, 0, "pass");
    }

    /** Looks the key at {@code fp + keyOffset} up in the map; found: to "redirect". */
    private void lookup(int map, int keyOffset) {
        loadMap(R1, map);
        op(MOV64_X, R2, FP, 0, 0);
        op(ADD64_K, R2, 0, 0, keyOffset);
        op(CALL, 0, 0, 0, HELPER_MAP_LOOKUP_ELEM);
        jump(JNE_K, R0, 0, 0, "redirect");
    }

    private void loadMap(int register, int mapFd) {
        op(LD_IMM64, register, PSEUDO_MAP_FD, 0, mapFd); // two instruction slots
        op(0, 0, 0, 0, 0);
    }

    private void label(String name) {
        labels.put(name, code.size());
    }

    private void jump(int opcode, int dst, int src, int imm, String label) {
        jumps.put(code.size(), label);
        op(opcode, dst, src, 0, imm);
    }

    private void op(int opcode, int dst, int src, int offset, int imm) {
        code.add((opcode & 0xffL) | ((long) ((src & 0xf) << 4 | (dst & 0xf)) << 8) | ((offset & 0xffffL) << 16)
                | ((long) imm << 32));
    }

    /** The instructions, each jump's offset set to its label (relative to the next instruction). */
    private long[] link() {
        long[] out = new long[code.size()];
        for (int i = 0; i < out.length; i++) {
            long insn = code.get(i);
            String target = jumps.get(i);
            if (target != null) {
                int offset = labels.get(target) - i - 1;
                insn = (insn & ~0xffff_0000L) | ((offset & 0xffffL) << 16);
            }
            out[i] = insn;
        }
        return out;
    }
}
