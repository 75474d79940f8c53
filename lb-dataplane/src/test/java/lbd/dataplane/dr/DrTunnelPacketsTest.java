package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import lbd.dataplane.dr.packet.Checksum;
import lbd.dataplane.dr.packet.IcmpFrame;
import lbd.dataplane.dr.packet.Ipv4Tunnel;
import lbd.dataplane.dr.packet.Ipv6Tunnel;
import lbd.dataplane.dr.packet.Net;
import org.junit.jupiter.api.Test;

/**
 * What ipip puts on the wire, checked against a plain reference checksum over byte arrays: the outer IPv4 header
 * (IPVS's: inner TOS, DF and TTL, protocol 4), the inner packet (one hop less, header and TCP checksums valid), and
 * the ICMP "fragmentation needed" lbd answers a too-big packet with.
 */
class DrTunnelPacketsTest {

    private static final long NEXT_HOP_MAC = 0x02_00_00_00_00_feL;
    private static final long EGRESS_MAC = 0x02_00_00_00_00_0bL;
    private static final int SOURCE = TestFrames.ip(198, 18, 2, 1);
    private static final int SERVER = TestFrames.ip(198, 18, 4, 5);

    /** RFC 1071 over bytes, the simplest way: the reference the native-memory code is held to. */
    private static int reference(byte[] b, int from, int length, long initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int hi = b[from + i] & 0xff;
            int lo = i + 1 < length ? b[from + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    @Test
    void theChecksumMatchesTheReferenceForEveryLengthAndAlignment() {
        SplittableRandom random = new SplittableRandom(22);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(2048);
            for (int round = 0; round < 2000; round++) {
                byte[] data = new byte[2048];
                random.nextBytes(data);
                MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, 0, data.length);
                int from = random.nextInt(64);
                int length = random.nextInt(1900);
                long initial = random.nextInt(1 << 20);
                assertThat(Checksum.fold(Checksum.add(s, from, length, initial)))
                        .as("from %d, %d bytes", from, length).isEqualTo(reference(data, from, length, initial));
            }
        }
    }

    @Test
    void anEncapsulatedPacketCarriesIpvsOuterHeaderAndValidChecksums() {
        byte[] frame = TestFrames.tcp(TestFrames.CLIENT, 40000, TestFrames.VIP, 80, 0x18, -1, 1, 0x4000, 333);
        frame[15] = (byte) 0x28; // TOS
        int room = Ipv4Tunnel.HEADER;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(room + frame.length);
            MemorySegment.copy(frame, 0, s, ValueLayout.JAVA_BYTE, room, frame.length);
            long l3 = room + 14;
            int ihl = 24;
            int tcpLength = frame.length - 14 - ihl;
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, l3 + ihl + 16, (short) 0x1234); // a partial sum left to "hardware"
            Ipv4Tunnel.prepareInner(s, l3, l3 + ihl, tcpLength, true);
            int length = Ipv4Tunnel.writeOuter(s, l3, NEXT_HOP_MAC, EGRESS_MAC, SOURCE, SERVER, 7);
            byte[] out = s.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);

            assertThat(length).isEqualTo(frame.length + Ipv4Tunnel.HEADER);
            MemorySegment o = MemorySegment.ofArray(out);
            assertThat(Net.mac(o, 0)).isEqualTo(NEXT_HOP_MAC);
            assertThat(Net.mac(o, 6)).isEqualTo(EGRESS_MAC);
            assertThat(Net.u16(o, 12)).isEqualTo(0x0800);
            int outer = 14;
            assertThat(Net.u8(o, outer)).isEqualTo(0x45);
            assertThat(Net.u8(o, outer + 1)).as("the inner TOS").isEqualTo(0x28);
            assertThat(Net.u16(o, outer + 2)).isEqualTo(length - 14);
            assertThat(Net.u16(o, outer + 6)).as("DF copied, no fragment").isEqualTo(0x4000);
            assertThat(Net.u8(o, outer + 8)).as("the inner TTL after the director's hop").isEqualTo(63);
            assertThat(Net.u8(o, outer + 9)).isEqualTo(4);
            assertThat(Net.u32(o, outer + 12)).isEqualTo(SOURCE);
            assertThat(Net.u32(o, outer + 16)).isEqualTo(SERVER);
            assertThat(reference(out, outer, 20, 0)).as("outer header checksum").isZero();

            int inner = outer + 20;
            assertThat(Net.u8(o, inner + 8)).isEqualTo(63);
            assertThat(reference(out, inner, ihl, 0)).as("inner header checksum").isZero();
            long pseudo = ((TestFrames.CLIENT >>> 16) & 0xffff) + (TestFrames.CLIENT & 0xffff)
                    + ((TestFrames.VIP >>> 16) & 0xffff) + (TestFrames.VIP & 0xffff) + 6 + tcpLength;
            assertThat(reference(out, inner + ihl, tcpLength, pseudo)).as("TCP checksum").isZero();
            byte[] payload = java.util.Arrays.copyOfRange(out, inner + ihl + 20, out.length);
            assertThat(payload).isEqualTo(java.util.Arrays.copyOfRange(frame, 14 + ihl + 20, frame.length));
        }
    }

    /**
     * A UDP datagram whose checksum was left to the hardware: completed at UDP's own offset (6), the payload
     * untouched (a TCP checksum written at offset 16 would overwrite payload bytes).
     */
    @Test
    void anEncapsulatedUdpDatagramGetsAValidUdpChecksumAndItsPayloadIntact() {
        byte[] frame = TestFrames.tcp(TestFrames.CLIENT, 40000, TestFrames.VIP, 53, 0, -1, 0, 0x4000, 101);
        frame[14 + 9] = 17;
        int ihl = 20;
        int udpLength = frame.length - 14 - ihl;
        frame[14 + ihl + 4] = (byte) (udpLength >>> 8);
        frame[14 + ihl + 5] = (byte) udpLength;
        int room = Ipv4Tunnel.HEADER;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(room + frame.length);
            MemorySegment.copy(frame, 0, s, ValueLayout.JAVA_BYTE, room, frame.length);
            long l3 = room + 14;
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, l3 + ihl + 6, (short) 0x1234); // a partial sum
            Ipv4Tunnel.prepareInner(s, l3, l3 + ihl, udpLength, true, true);
            int length = Ipv4Tunnel.writeOuter(s, l3, NEXT_HOP_MAC, EGRESS_MAC, SOURCE, SERVER, 7);
            byte[] out = s.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
            int inner = 14 + 20;
            long pseudo = ((TestFrames.CLIENT >>> 16) & 0xffff) + (TestFrames.CLIENT & 0xffff)
                    + ((TestFrames.VIP >>> 16) & 0xffff) + (TestFrames.VIP & 0xffff) + 17 + udpLength;
            assertThat(reference(out, inner + ihl, udpLength, pseudo)).as("UDP checksum").isZero();
            assertThat(java.util.Arrays.copyOfRange(out, inner + ihl + 8, out.length))
                    .isEqualTo(java.util.Arrays.copyOfRange(frame, 14 + ihl + 8, frame.length));
        }
    }

    @Test
    void fragmentationNeededQuotesTheHeaderAndTellsTheMtuFromTheVip() {
        byte[] frame = TestFrames.tcp(TestFrames.CLIENT, 40000, TestFrames.VIP, 80, 0x10, -1, 0, 0x4000, 1400);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(frame.length);
            MemorySegment.copy(frame, 0, in, ValueLayout.JAVA_BYTE, 0, frame.length);
            MemorySegment out = arena.allocate(256);
            int n = IcmpFrame.writeFragmentationNeeded(out, TestFrames.DIRECTOR_MAC, in, 14, TestFrames.CLIENT_MAC,
                    1280);
            byte[] b = out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment o = MemorySegment.ofArray(b);
            assertThat(n).isEqualTo(14 + 20 + 8 + 20 + 8);
            assertThat(Net.mac(o, 0)).isEqualTo(TestFrames.CLIENT_MAC);
            assertThat(Net.mac(o, 6)).isEqualTo(TestFrames.DIRECTOR_MAC);
            assertThat(Net.u32(o, 14 + 12)).as("from the VIP").isEqualTo(TestFrames.VIP);
            assertThat(Net.u32(o, 14 + 16)).as("to the client").isEqualTo(TestFrames.CLIENT);
            assertThat(Net.u8(o, 14 + 9)).isEqualTo(1);
            assertThat(reference(b, 14, 20, 0)).isZero();
            int icmp = 34;
            assertThat(Net.u8(o, icmp)).isEqualTo(3);
            assertThat(Net.u8(o, icmp + 1)).isEqualTo(4);
            assertThat(Net.u16(o, icmp + 6)).isEqualTo(1280);
            assertThat(reference(b, icmp, n - icmp, 0)).as("ICMP checksum").isZero();
            assertThat(java.util.Arrays.copyOfRange(b, icmp + 8, n))
                    .as("the packet's header and first 8 bytes (ports, sequence number)")
                    .isEqualTo(java.util.Arrays.copyOfRange(frame, 14, 14 + 28));
        }
    }

    @Test
    void anIpv6PacketInIpv6KeepsItsTrafficClassLosesAHopAndGetsAValidTcpChecksum() {
        int payload = 77;
        int inner = 40 + 20 + payload;
        int room = Ipv6Tunnel.HEADER;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(room + 14 + inner);
            long l3 = room + 14;
            Net.putU32(s, l3, (6 << 28) | (0x28 << 20) | 0x12345);     // traffic class 0x28, a flow label
            Net.putU16(s, l3 + 4, 20 + payload);
            Net.putU16(s, l3 + 6, (6 << 8) | 64);                       // TCP, hop limit 64
            Net.putU64(s, l3 + 8, TestFrames.NET6);
            Net.putU64(s, l3 + 16, TestFrames.CLIENT6);
            Net.putU64(s, l3 + 24, TestFrames.NET6);
            Net.putU64(s, l3 + 32, TestFrames.VIP6);
            long l4 = l3 + 40;
            Net.putU32(s, l4, (40000 << 16) | 80);
            Net.putU32(s, l4 + 4, 1000);
            Net.putU16(s, l4 + 12, 0x5018);
            for (int i = 0; i < payload; i++) {
                s.set(ValueLayout.JAVA_BYTE, l4 + 20 + i, (byte) (i * 7));
            }
            Ipv6Tunnel.prepareInner(s, l3, l4, 20 + payload, true);
            int length = Ipv6Tunnel.writeOuter(s, l3, NEXT_HOP_MAC, EGRESS_MAC, 0xfd00_0198_0018_0002L, 1,
                    0xfd00_0198_0018_0004L, 5);
            byte[] out = s.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment o = MemorySegment.ofArray(out);
            assertThat(length).isEqualTo(14 + 40 + inner);
            assertThat(Net.u16(o, 12)).isEqualTo(0x86dd);
            assertThat(Net.u32(o, 14)).as("version 6, the inner traffic class, flow label 0").isEqualTo(0x6280_0000);
            assertThat(Net.u16(o, 14 + 4)).isEqualTo(inner);
            assertThat(Net.u8(o, 14 + 6)).isEqualTo(41);
            assertThat(Net.u8(o, 14 + 7)).as("the inner hop limit after the director's hop").isEqualTo(63);
            assertThat(Net.u64(o, 14 + 24)).isEqualTo(0xfd00_0198_0018_0004L);
            assertThat(Net.u8(o, 54 + 7)).isEqualTo(63);
            long pseudo = 0;
            for (int i = 0; i < 32; i += 2) {
                pseudo += Net.u16(o, 54 + 8 + i);
            }
            pseudo += 6 + 20 + payload;
            assertThat(reference(out, 94, 20 + payload, pseudo)).as("TCP checksum").isZero();
        }
    }

    @Test
    void packetTooBigQuotesTheHeadersFromTheVipWithAValidChecksum() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(14 + 40 + 20);
            Net.putU32(in, 14, 6 << 28);
            Net.putU16(in, 18, 20);
            Net.putU16(in, 20, (6 << 8) | 64);
            Net.putU64(in, 22, TestFrames.NET6);
            Net.putU64(in, 30, TestFrames.CLIENT6);
            Net.putU64(in, 38, TestFrames.NET6);
            Net.putU64(in, 46, TestFrames.VIP6);
            MemorySegment out = arena.allocate(256);
            int n = IcmpFrame.writePacketTooBig(out, TestFrames.DIRECTOR_MAC, in, 14, 54, TestFrames.CLIENT_MAC, 1360);
            byte[] b = out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment o = MemorySegment.ofArray(b);
            assertThat(n).isEqualTo(14 + 40 + 8 + 48);
            assertThat(Net.u64(o, 14 + 16)).as("from the VIP").isEqualTo(TestFrames.VIP6);
            assertThat(Net.u64(o, 14 + 32)).as("to the client").isEqualTo(TestFrames.CLIENT6);
            assertThat(Net.u8(o, 54)).isEqualTo(2);
            assertThat(Net.u32(o, 58)).isEqualTo(1360);
            long pseudo = 0;
            for (int i = 0; i < 32; i += 2) {
                pseudo += Net.u16(o, 14 + 8 + i);
            }
            pseudo += 58 + (n - 54);
            assertThat(reference(b, 54, n - 54, pseudo)).as("ICMPv6 checksum").isZero();
        }
    }
}
