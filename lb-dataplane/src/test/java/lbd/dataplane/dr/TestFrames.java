package lbd.dataplane.dr;

import java.nio.ByteBuffer;

/** Hand-built Ethernet frames for parser and filter tests. */
public final class TestFrames {

    public static final long DIRECTOR_MAC = 0x02_00_00_00_00_0aL;
    public static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    public static final int CLIENT = ip(198, 18, 0, 1);
    public static final int VIP = ip(198, 18, 0, 100);

    private TestFrames() {
    }

    public static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    /** An Ethernet/IPv4/TCP frame; {@code vlan} adds an 802.1Q tag, {@code optionWords} IPv4 options. */
    public static byte[] tcp(int srcIp, int srcPort, int dstIp, int dstPort, int flags, int vlan, int optionWords,
                      int fragmentField, int payload) {
        int ihl = 20 + 4 * optionWords;
        int l3 = vlan >= 0 ? 18 : 14;
        ByteBuffer b = ByteBuffer.allocate(l3 + ihl + 20 + payload);
        putMac(b, DIRECTOR_MAC);
        putMac(b, CLIENT_MAC);
        if (vlan >= 0) {
            b.putShort((short) 0x8100).putShort((short) vlan);
        }
        b.putShort((short) 0x0800);
        b.put((byte) (0x40 | (ihl / 4))).put((byte) 0).putShort((short) (ihl + 20 + payload));
        b.putShort((short) 1).putShort((short) fragmentField).put((byte) 64).put((byte) 6).putShort((short) 0);
        b.putInt(srcIp).putInt(dstIp);
        for (int i = 0; i < optionWords; i++) {
            b.putInt(0x01010101); // NOPs
        }
        b.putShort((short) srcPort).putShort((short) dstPort).putInt(1000).putInt(0);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        for (int i = 0; i < payload; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    public static byte[] syn(int srcPort) {
        return tcp(CLIENT, srcPort, VIP, 80, 0x02, -1, 0, 0x4000, 0);
    }

    public static byte[] udp() {
        byte[] f = tcp(CLIENT, 1234, VIP, 53, 0, -1, 0, 0, 0);
        f[14 + 9] = 17;
        return f;
    }

    public static final long NET6 = 0xfd00_0198_0018_0000L; // fd00:198:18::/64
    public static final long CLIENT6 = 1;
    public static final long VIP6 = 0x60;

    /**
     * An Ethernet/IPv6/TCP frame from [NET6::client] to [NET6::vip]; each of {@code extensions} (next-header
     * values: 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment, 51 AH) adds an 8-byte extension header
     * in front of TCP.
     */
    public static byte[] tcp6(long client, int srcPort, long vip, int dstPort, int flags, int... extensions) {
        int payload = 8 * extensions.length + 20;
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + payload);
        putMac(b, DIRECTOR_MAC);
        putMac(b, CLIENT_MAC);
        b.putShort((short) 0x86dd);
        b.putInt(0x6000_0000).putShort((short) payload).put((byte) (extensions.length > 0 ? extensions[0] : 6))
                .put((byte) 64);
        b.putLong(NET6).putLong(client).putLong(NET6).putLong(vip);
        for (int i = 0; i < extensions.length; i++) {
            b.put((byte) (i + 1 < extensions.length ? extensions[i + 1] : 6)).put((byte) 0).putShort((short) 0)
                    .putInt(0);
        }
        b.putShort((short) srcPort).putShort((short) dstPort).putInt(1000).putInt(0);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return b.array();
    }

    /** A neighbour solicitation from [NET6::client] for [NET6::target], to its solicited-node group. */
    public static byte[] neighbourSolicitation(long client, long target, int hopLimit) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 32);
        putMac(b, 0x3333_ff00_0000L | (target & 0xffffff));
        putMac(b, CLIENT_MAC);
        b.putShort((short) 0x86dd);
        b.putInt(0x6000_0000).putShort((short) 32).put((byte) 58).put((byte) hopLimit);
        b.putLong(NET6).putLong(client).putLong(0xff02_0000_0000_0000L).putLong(0x1_ff00_0000L | (target & 0xffffff));
        b.put((byte) 135).put((byte) 0).putShort((short) 0).putInt(0);
        b.putLong(NET6).putLong(target);
        b.put((byte) 1).put((byte) 1);
        putMac(b, CLIENT_MAC);
        return b.array();
    }

    private static void putMac(ByteBuffer b, long mac) {
        b.putShort((short) (mac >>> 32)).putInt((int) mac);
    }
}
