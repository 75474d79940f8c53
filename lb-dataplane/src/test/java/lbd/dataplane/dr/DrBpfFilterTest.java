package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.sys.BpfFilter;
import org.junit.jupiter.api.Test;

class DrBpfFilterTest {

    private static final int OTHER = TestFrames.ip(198, 18, 0, 2);

    @Test
    void takesArpAndFramesForTheVipsOnly() {
        BpfFilter f = BpfFilter.forVips(new int[] {OTHER + 50, TestFrames.VIP});
        assertThat(f.run(TestFrames.syn(1))).isPositive();
        assertThat(f.run(TestFrames.tcp(TestFrames.CLIENT, 1, OTHER, 80, 2, -1, 0, 0, 0))).isZero();
        assertThat(f.run(TestFrames.tcp(TestFrames.CLIENT, 1, OTHER + 50, 80, 2, -1, 0, 0, 0))).isPositive();
        byte[] arp = new byte[42];
        ArpFrame.write(MemorySegment.ofArray(arp), ArpFrame.BROADCAST, ArpFrame.REQUEST, 1, 2, 0, 3);
        assertThat(f.run(arp)).isPositive();
        byte[] ipv6 = TestFrames.syn(1);
        ipv6[12] = (byte) 0x86;
        ipv6[13] = (byte) 0xdd;
        assertThat(f.run(ipv6)).isZero();
        assertThat(f.run(new byte[10])).as("too short to load the EtherType").isZero();
    }

    /** The workers' own forwarded frames, seen again at their egress interface's tap, are not taken. */
    @Test
    void framesThisHostSendsAreNotTaken() {
        BpfFilter f = BpfFilter.forVips(new int[] {TestFrames.VIP});
        assertThat(f.run(TestFrames.syn(1), 0)).as("to us").isPositive();
        assertThat(f.run(TestFrames.syn(1), 3)).as("to another host (promiscuous)").isPositive();
        assertThat(f.run(TestFrames.syn(1), BpfFilter.PACKET_OUTGOING)).as("sent by this host").isZero();
        byte[] arp = new byte[42];
        ArpFrame.write(MemorySegment.ofArray(arp), ArpFrame.BROADCAST, ArpFrame.REQUEST, 1, 2, 0, 3);
        assertThat(f.run(arp, BpfFilter.PACKET_OUTGOING)).as("lbd's own ARP replies").isZero();
    }

    @Test
    void withNoVipTakesOnlyArp() {
        BpfFilter f = BpfFilter.forVips(new int[0]);
        assertThat(f.run(TestFrames.syn(1))).isZero();
        byte[] arp = new byte[42];
        ArpFrame.write(MemorySegment.ofArray(arp), ArpFrame.BROADCAST, ArpFrame.REQUEST, 1, 2, 0, 3);
        assertThat(f.run(arp)).isPositive();
    }

    @Test
    void withMoreVipsThanJumpsCanReachTakesAllIpv4() {
        int[] vips = new int[BpfFilter.MAX_VIPS + 1];
        for (int i = 0; i < vips.length; i++) {
            vips[i] = OTHER + 1000 + i;
        }
        BpfFilter f = BpfFilter.forVips(vips);
        assertThat(f.run(TestFrames.syn(1))).isPositive();
        BpfFilter max = BpfFilter.forVips(java.util.Arrays.copyOf(vips, BpfFilter.MAX_VIPS));
        assertThat(max.run(TestFrames.tcp(1, 1, vips[BpfFilter.MAX_VIPS - 1], 80, 2, -1, 0, 0, 0))).isPositive();
        assertThat(max.run(TestFrames.syn(1))).isZero();
    }
}
