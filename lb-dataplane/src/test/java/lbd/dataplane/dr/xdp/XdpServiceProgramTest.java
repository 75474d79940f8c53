package lbd.dataplane.dr.xdp;

import static lbd.dataplane.dr.TestFrames.CLIENT;
import static lbd.dataplane.dr.TestFrames.CLIENT6;
import static lbd.dataplane.dr.TestFrames.NET6;
import static lbd.dataplane.dr.TestFrames.VIP;
import static lbd.dataplane.dr.TestFrames.VIP6;
import static lbd.dataplane.dr.TestFrames.tcp;
import static lbd.dataplane.dr.TestFrames.tcp6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.Shell;
import lbd.dataplane.dr.TestFrames;
import lbd.sys.LinuxNative;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link XdpServiceProgram} run by the kernel on hand-built frames ({@code BPF_PROG_TEST_RUN}, nothing sent): the
 * verifier accepts it, it takes (XDP_REDIRECT) exactly the frames of the services to the interface's MAC and leaves
 * (XDP_PASS) every other frame to the kernel and the packet sockets. Root only (bpf(2) and AF_XDP); skips otherwise.
 */
class XdpServiceProgramTest {

    private static final int PASS = 2;
    /** Up to how long the loopback's queue 0 may stay with a socket an earlier test class closed (see openWhenFree). */
    private static final java.time.Duration QUEUE_FREED = java.time.Duration.ofSeconds(2);
    private static final int REDIRECT = 4;
    private static final int ACK = 0x10;
    private static final int DONT_FRAGMENT = 0x4000;

    private static int services4 = -1;
    private static int services6 = -1;
    private static int xsks = -1;
    private static int program = -1;
    private static XdpSocket socket;

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Shell.isRoot(), "XdpServiceProgramTest needs root (bpf(2), AF_XDP); skipped");
        services4 = Bpf.createMap(Bpf.MAP_TYPE_HASH, 8, 4, 16, "test_services4");
        services6 = Bpf.createMap(Bpf.MAP_TYPE_HASH, 20, 4, 16, "test_services6");
        xsks = Bpf.createMap(Bpf.MAP_TYPE_XSKMAP, 4, 4, 1, "test_xsks");
        // A redirect needs a socket in the map for the frame's queue: the test run's frames come in on lo's queue 0.
        socket = XdpSocket.openWhenFree("lo", 1, 0, false, QUEUE_FREED);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            value.set(ValueLayout.JAVA_INT, 0, socket.fd());
            Bpf.update(xsks, key, value);
            MemorySegment one = arena.allocate(ValueLayout.JAVA_INT);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            InetAddress vip = InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(VIP).array());
            InetAddress vip6 = InetAddress.getByAddress(ByteBuffer.allocate(16).putLong(NET6).putLong(VIP6).array());
            for (VirtualServiceKey k : List.of(new VirtualServiceKey(Protocol.TCP, new Endpoint(vip, 80)),
                    new VirtualServiceKey(Protocol.UDP, new Endpoint(vip, 0)),
                    new VirtualServiceKey(Protocol.TCP, new Endpoint(vip6, 443)))) {
                Bpf.update(k.address().isIpv4() ? services4 : services6, XdpReceive.key(arena, k), one);
            }
        }
        program = Bpf.loadXdp(XdpServiceProgram.assemble(xsks, services4, services6, TestFrames.DIRECTOR_MAC, 1514),
                "test_lbd_dr");
    }

    @AfterAll
    static void close() {
        if (socket != null) {
            socket.close();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(arena);
            for (int fd : new int[] {program, xsks, services6, services4}) {
                if (fd >= 0) {
                    LinuxNative.close(errno, fd);
                }
            }
        }
    }

    @Test
    void aServicesFramesAreTaken() {
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, DONT_FRAGMENT, 0))).isEqualTo(REDIRECT);
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0, 1460))).as("a full frame, 1514 bytes").isEqualTo(REDIRECT);
        assertThat(verdict(udp(VIP, 53))).as("a port-0 UDP service, any port").isEqualTo(REDIRECT);
        assertThat(verdict(udp(VIP, 5353))).isEqualTo(REDIRECT);
        assertThat(verdict(tcp6(CLIENT6, 1000, VIP6, 443, ACK))).isEqualTo(REDIRECT);
    }

    @Test
    void everyOtherFrameGoesOnToTheKernel() {
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 81, ACK, -1, 0, 0, 0))).as("another port").isEqualTo(PASS);
        assertThat(verdict(tcp(CLIENT, 1000, VIP + 1, 80, ACK, -1, 0, 0, 0))).as("another address").isEqualTo(PASS);
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, 5, 0, 0, 0))).as("VLAN-tagged").isEqualTo(PASS);
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 1, 0, 0))).as("IPv4 options").isEqualTo(PASS);
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0x2000, 0))).as("more fragments").isEqualTo(PASS);
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0x0001, 0))).as("a later fragment").isEqualTo(PASS);
        assertThat(verdict(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0, 1461))).as("1515 bytes").isEqualTo(PASS);
        byte[] otherMac = tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0, 0);
        otherMac[5] ^= 1;
        assertThat(verdict(otherMac)).as("to another MAC (a macvlan's)").isEqualTo(PASS);
        byte[] arp = tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0, 0);
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertThat(verdict(arp)).as("ARP").isEqualTo(PASS);
        assertThat(verdict(tcp6(CLIENT6, 1000, VIP6, 80, ACK))).as("IPv6, another port").isEqualTo(PASS);
        assertThat(verdict(tcp6(CLIENT6, 1000, VIP6, 443, ACK, 0))).as("IPv6 extension header").isEqualTo(PASS);
        assertThat(verdict(java.util.Arrays.copyOf(tcp(CLIENT, 1000, VIP, 80, ACK, -1, 0, 0, 0), 36)))
                .as("truncated").isEqualTo(PASS);
    }

    private static byte[] udp(int vip, int port) {
        byte[] f = tcp(CLIENT, 1000, vip, port, 0, -1, 0, 0, 0);
        f[14 + 9] = 17;
        return f;
    }

    private static int verdict(byte[] frame) {
        return Bpf.testRun(program, frame);
    }
}
