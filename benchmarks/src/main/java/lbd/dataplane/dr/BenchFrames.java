package lbd.dataplane.dr;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.Net;

/**
 * Client-to-VIP TCP frames as a DR director receives them (Ethernet + IPv4 + TCP, no payload, padded to the
 * 60-byte Ethernet minimum), written into off-heap memory for the DR benchmarks. Built in set-up only.
 */
final class BenchFrames {

    /** Captured length of every frame: 14 + 20 + 20 bytes of headers and 6 of Ethernet padding. */
    static final int LENGTH = 60;
    static final long ROUTER_MAC = 0x02_00_5e_00_00_feL;

    private BenchFrames() {
    }

    /** Client {@code i} of a run: 4096 addresses in 198.18.128.0/20, then successive source ports. */
    static int clientIp(int i) {
        return (198 << 24) | (18 << 16) | (128 << 8) + (i & 0xfff);
    }

    static int clientPort(int i) {
        return 1024 + (i >>> 12);
    }

    /** Writes one frame at the start of {@code at}: from the client's router to {@code directorMac}. */
    static void write(MemorySegment at, long directorMac, int clientIp, int clientPort, int vip, int vport,
                      int tcpFlags) {
        at.asSlice(0, LENGTH).fill((byte) 0);
        Net.putMac(at, 0, directorMac);
        Net.putMac(at, 6, ROUTER_MAC);
        Net.putU16(at, 12, 0x0800);
        int ip = FrameParser.ETH_HEADER;
        at.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        Net.putU16(at, ip + 2, 40); // total length: IPv4 + TCP headers, no payload
        Net.putU16(at, ip + 4, clientPort); // identification: anything
        Net.putU16(at, ip + 6, 0x4000); // DF, not a fragment
        at.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
        at.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) 6);
        Net.putU32(at, ip + 12, clientIp);
        Net.putU32(at, ip + 16, vip);
        int tcp = ip + 20;
        Net.putU16(at, tcp, clientPort);
        Net.putU16(at, tcp + 2, vport);
        Net.putU32(at, tcp + 4, 0x1000_0000 + clientPort);
        at.set(ValueLayout.JAVA_BYTE, tcp + 12, (byte) 0x50); // data offset: 5 words
        at.set(ValueLayout.JAVA_BYTE, tcp + 13, (byte) tcpFlags);
        Net.putU16(at, tcp + 14, 65535);
    }
}
