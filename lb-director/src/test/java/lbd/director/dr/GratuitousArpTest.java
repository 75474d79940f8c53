package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import lbd.dataplane.dr.packet.ArpFrame;
import org.junit.jupiter.api.Test;

/** What every announcement puts on the wire, for HA's VIPs and the DR path's alike. */
class GratuitousArpTest {

    private static final long MAC = 0x080027ff4700L;
    private static final int VIP = 0x0a08082d; // 10.8.8.45

    @Test
    void anAnnouncementIsABroadcastRequestAndReplyWithTheVipAsSenderAndTarget() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment frame = arena.allocate(ArpFrame.LENGTH);
            int n = GratuitousArp.frame(frame, ArpFrame.REQUEST, MAC, VIP);
            assertThat(hex(frame, n)).isEqualTo("ffffffffffff" + "080027ff4700" + "0806"
                    + "0001" + "0800" + "06" + "04" + "0001" + "080027ff4700" + "0a08082d" + "000000000000" + "0a08082d");
            n = GratuitousArp.frame(frame, ArpFrame.REPLY, MAC, VIP);
            assertThat(hex(frame, n)).isEqualTo("ffffffffffff" + "080027ff4700" + "0806"
                    + "0001" + "0800" + "06" + "04" + "0002" + "080027ff4700" + "0a08082d" + "ffffffffffff" + "0a08082d");
        }
    }

    private static String hex(MemorySegment frame, int length) {
        return HexFormat.of().formatHex(frame.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
    }
}
