package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Network-byte-order accessors for frames in native memory. */
public final class Net {

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Net() {
    }

    public static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    public static int u16(MemorySegment s, long at) {
        return s.get(U16, at) & 0xffff;
    }

    public static int u32(MemorySegment s, long at) {
        return s.get(U32, at);
    }

    public static long u64(MemorySegment s, long at) {
        return s.get(U64, at);
    }

    public static void putU64(MemorySegment s, long at, long v) {
        s.set(U64, at, v);
    }

    public static void putU16(MemorySegment s, long at, int v) {
        s.set(U16, at, (short) v);
    }

    public static void putU32(MemorySegment s, long at, int v) {
        s.set(U32, at, v);
    }

    /** A MAC address as the low 48 bits of a long. */
    public static long mac(MemorySegment s, long at) {
        return ((long) u16(s, at) << 32) | (u32(s, at + 2) & 0xffffffffL);
    }

    public static void putMac(MemorySegment s, long at, long mac) {
        putU16(s, at, (int) (mac >>> 32));
        putU32(s, at + 2, (int) mac);
    }

    public static long parseMac(String text) {
        String[] parts = text.strip().split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (String p : parts) {
            mac = (mac << 8) | Integer.parseInt(p, 16);
        }
        return mac;
    }

    public static String formatMac(long mac) {
        StringBuilder b = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (b.length() > 0) {
                b.append(':');
            }
            b.append(String.format("%02x", (mac >>> shift) & 0xff));
        }
        return b.toString();
    }

    public static int ipv4(byte[] address) {
        if (address.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address (" + address.length + " bytes)");
        }
        return ((address[0] & 0xff) << 24) | ((address[1] & 0xff) << 16) | ((address[2] & 0xff) << 8)
                | (address[3] & 0xff);
    }

    /** The high (0) or low (1) 64 bits of a 16-byte IPv6 address. */
    public static long ipv6Half(byte[] address, int half) {
        if (address.length != 16) {
            throw new IllegalArgumentException("not an IPv6 address (" + address.length + " bytes)");
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (address[half * 8 + i] & 0xff);
        }
        return v;
    }

    public static String formatIpv4(int ip) {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
    }

    /** An IPv4 address given as an int (network order's value), as an InetAddress; no name lookup. */
    public static java.net.InetAddress inet4(int ip) {
        try {
            return java.net.InetAddress.getByAddress(new byte[] {
                (byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }
}
