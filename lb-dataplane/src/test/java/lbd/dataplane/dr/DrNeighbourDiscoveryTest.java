package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.NdFrame;
import lbd.dataplane.dr.sys.BpfFilter;
import org.junit.jupiter.api.Test;

/**
 * IPv6's ARP in the DR path: the advertisement lbd answers a solicitation for its VIP with (RFC 4861: from the VIP,
 * to the solicitor, hop limit 255, solicited and override, the director's MAC as target link-layer address, a valid
 * checksum), the unsolicited one it announces a takeover with, and the packet filter that lets both the VIP's
 * packets and neighbour discovery through.
 */
class DrNeighbourDiscoveryTest {

    @Test
    void answersASolicitationFromTheVipWithTheDirectorsMac() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            int n = NdFrame.writeAnswer(f, TestFrames.DIRECTOR_MAC, TestFrames.NET6, TestFrames.VIP6,
                    TestFrames.CLIENT_MAC, TestFrames.NET6, TestFrames.CLIENT6);
            assertThat(n).isEqualTo(NdFrame.ADVERTISEMENT_LENGTH);
            byte[] b = f.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertThat(mac(b, 0)).as("to the solicitor's MAC").isEqualTo(TestFrames.CLIENT_MAC);
            assertThat(mac(b, 6)).isEqualTo(TestFrames.DIRECTOR_MAC);
            assertThat(u8(b, 14 + 7)).as("hop limit").isEqualTo(255);
            assertThat(u64(b, 14 + 8)).isEqualTo(TestFrames.NET6);
            assertThat(u64(b, 14 + 16)).as("from the VIP").isEqualTo(TestFrames.VIP6);
            assertThat(u64(b, 14 + 32)).as("to the solicitor").isEqualTo(TestFrames.CLIENT6);
            int icmp = 54;
            assertThat(u8(b, icmp)).as("neighbour advertisement").isEqualTo(136);
            assertThat(u8(b, icmp + 4)).as("solicited and override").isEqualTo(0x60);
            assertThat(u64(b, icmp + 16)).as("target").isEqualTo(TestFrames.VIP6);
            assertThat(u8(b, icmp + 24)).as("target link-layer address option").isEqualTo(2);
            assertThat(mac(b, icmp + 26)).isEqualTo(TestFrames.DIRECTOR_MAC);
            assertThat(checksumOk(b)).isTrue();
        }
    }

    @Test
    void aTakeoverIsAnnouncedToAllNodesAndSoIsTheAnswerToDuplicateAddressDetection() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            for (int n : new int[] {NdFrame.writeUnsolicited(f, TestFrames.DIRECTOR_MAC, TestFrames.NET6, TestFrames.VIP6),
                NdFrame.writeAnswer(f, TestFrames.DIRECTOR_MAC, TestFrames.NET6, TestFrames.VIP6, TestFrames.CLIENT_MAC,
                        0, 0)}) {
                byte[] b = f.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                assertThat(mac(b, 0)).isEqualTo(0x3333_0000_0001L);
                assertThat(u64(b, 14 + 24)).isEqualTo(NdFrame.ALL_NODES_HIGH);
                assertThat(u64(b, 14 + 32)).isEqualTo(NdFrame.ALL_NODES_LOW);
                assertThat(u8(b, 54 + 4)).as("override only: nobody asked").isEqualTo(0x20);
                assertThat(checksumOk(b)).isTrue();
            }
        }
    }

    @Test
    void theFilterTakesTheIpv6VipsAndNeighbourDiscoveryOnly() {
        BpfFilter f = BpfFilter.forVips(new int[] {TestFrames.VIP},
                new long[] {TestFrames.NET6, 0x99, TestFrames.NET6, TestFrames.VIP6});
        assertThat(f.run(TestFrames.tcp6(TestFrames.CLIENT6, 1, TestFrames.VIP6, 80, 2))).isPositive();
        assertThat(f.run(TestFrames.tcp6(TestFrames.CLIENT6, 1, 0x99, 80, 2))).isPositive();
        assertThat(f.run(TestFrames.tcp6(TestFrames.CLIENT6, 1, 0x98, 80, 2))).isZero();
        assertThat(f.run(TestFrames.tcp6(TestFrames.CLIENT6, 1, TestFrames.VIP6 | (1L << 32), 80, 2))).isZero();
        assertThat(f.run(TestFrames.neighbourSolicitation(TestFrames.CLIENT6, TestFrames.VIP6, 255))).isPositive();
        assertThat(f.run(TestFrames.syn(1))).as("IPv4 still").isPositive();
        assertThat(f.run(TestFrames.tcp(TestFrames.CLIENT, 1, TestFrames.VIP + 1, 80, 2, -1, 0, 0, 0))).isZero();

        BpfFilter v4only = BpfFilter.forVips(new int[] {TestFrames.VIP});
        assertThat(v4only.run(TestFrames.tcp6(TestFrames.CLIENT6, 1, TestFrames.VIP6, 80, 2))).isZero();
        assertThat(v4only.run(TestFrames.neighbourSolicitation(TestFrames.CLIENT6, TestFrames.VIP6, 255))).isZero();
    }

    @Test
    void theFilterHoldsAsManyIpv6VipsAsJumpsReachThenTakesAllIpv6() {
        long[] pairs = new long[2 * BpfFilter.MAX_VIPS6];
        for (int i = 0; i < BpfFilter.MAX_VIPS6; i++) {
            pairs[2 * i] = TestFrames.NET6;
            pairs[2 * i + 1] = 0x1000 + i;
        }
        int[] v4 = new int[BpfFilter.MAX_VIPS];
        for (int i = 0; i < v4.length; i++) {
            v4[i] = TestFrames.VIP + 1000 + i;
        }
        BpfFilter max = BpfFilter.forVips(v4, pairs);
        assertThat(max.run(TestFrames.tcp6(1, 1, 0x1000 + BpfFilter.MAX_VIPS6 - 1, 80, 2))).isPositive();
        assertThat(max.run(TestFrames.tcp6(1, 1, 0x1000 + BpfFilter.MAX_VIPS6, 80, 2))).isZero();
        assertThat(max.run(TestFrames.tcp(1, 1, v4[v4.length - 1], 80, 2, -1, 0, 0, 0))).isPositive();
        long[] more = java.util.Arrays.copyOf(pairs, pairs.length + 2);
        more[pairs.length] = TestFrames.NET6;
        more[pairs.length + 1] = 0x5000;
        assertThat(BpfFilter.forVips(new int[0], more).run(TestFrames.tcp6(1, 1, 0x7777, 80, 2))).isPositive();
    }

    @Test
    void theParserReadsTheTargetOfASolicitation() {
        byte[] ns = TestFrames.neighbourSolicitation(TestFrames.CLIENT6, TestFrames.VIP6, 255);
        MemorySegment s = MemorySegment.ofArray(ns);
        FrameParser p = new FrameParser();
        assertThat(p.parse(s, ns.length)).isEqualTo(FrameParser.NEIGHBOUR_SOLICITATION);
        assertThat(NdFrame.targetHigh(s, p.transportOffset())).isEqualTo(TestFrames.NET6);
        assertThat(NdFrame.targetLow(s, p.transportOffset())).isEqualTo(TestFrames.VIP6);
    }

    /** The ICMPv6 checksum verifies: the one's complement sum over pseudo-header and message is all ones. */
    private static boolean checksumOk(byte[] b) {
        int length = (u8(b, 18) << 8) | u8(b, 19);
        long sum = length + 58;
        for (int i = 22; i < 54; i += 2) {
            sum += (u8(b, i) << 8) | u8(b, i + 1);
        }
        for (int i = 54; i < 54 + length; i += 2) {
            sum += (u8(b, i) << 8) | u8(b, i + 1);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum == 0xffff;
    }

    private static int u8(byte[] b, int at) {
        return b[at] & 0xff;
    }

    private static long u64(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | u8(b, at + i);
        }
        return v;
    }

    private static long mac(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | u8(b, at + i);
        }
        return v;
    }
}
