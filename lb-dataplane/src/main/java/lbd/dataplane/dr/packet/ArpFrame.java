package lbd.dataplane.dr.packet;

import java.lang.foreign.MemorySegment;

/**
 * Ethernet/IPv4 ARP: reads requests and replies at a given network offset, and writes the frames lbd sends
 * (replies for its VIPs, gratuitous announcements, requests to resolve a real server). No allocation.
 */
public final class ArpFrame {

    public static final int LENGTH = 42; // 14 Ethernet + 28 ARP; the NIC pads to 60
    public static final int REQUEST = 1;
    public static final int REPLY = 2;
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private ArpFrame() {
    }

    /** True when the ARP body at {@code l3} is a well-formed Ethernet/IPv4 ARP packet within {@code length}. */
    public static boolean isEthernetIpv4(MemorySegment f, int l3, int length) {
        return length >= l3 + 28
                && Net.u16(f, l3) == 1 && Net.u16(f, l3 + 2) == 0x0800
                && Net.u8(f, l3 + 4) == 6 && Net.u8(f, l3 + 5) == 4;
    }

    public static int operation(MemorySegment f, int l3) {
        return Net.u16(f, l3 + 6);
    }

    public static long senderMac(MemorySegment f, int l3) {
        return Net.mac(f, l3 + 8);
    }

    public static int senderIp(MemorySegment f, int l3) {
        return Net.u32(f, l3 + 14);
    }

    public static int targetIp(MemorySegment f, int l3) {
        return Net.u32(f, l3 + 24);
    }

    /**
     * Writes a complete untagged ARP frame at the start of {@code out}; returns its length.
     */
    public static int write(MemorySegment out, long ethDestination, int operation, long senderMac, int senderIp,
                            long targetMac, int targetIp) {
        Net.putMac(out, 0, ethDestination);
        Net.putMac(out, 6, senderMac);
        Net.putU16(out, 12, 0x0806);
        Net.putU16(out, 14, 1);
        Net.putU16(out, 16, 0x0800);
        out.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 18, (byte) 6);
        out.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 19, (byte) 4);
        Net.putU16(out, 20, operation);
        Net.putMac(out, 22, senderMac);
        Net.putU32(out, 28, senderIp);
        Net.putMac(out, 32, targetMac);
        Net.putU32(out, 38, targetIp);
        return LENGTH;
    }

    /** A gratuitous ARP (a request whose sender and target are the VIP), as heartbeat's IPaddr sends. */
    public static int writeGratuitous(MemorySegment out, long ownMac, int vip) {
        return write(out, BROADCAST, REQUEST, ownMac, vip, 0L, vip);
    }
}
