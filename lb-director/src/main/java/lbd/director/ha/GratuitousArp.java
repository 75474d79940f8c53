package lbd.director.ha;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteOrder;

/**
 * Sends gratuitous ARPs, as heartbeat's send_arp does after IPaddr adds a VIP: broadcast ARP packets whose sender
 * and target address are the VIP and whose sender MAC is this interface's, so that neighbours (the router, the
 * clients on the segment) repoint their caches at the new active node at once instead of when their entry expires.
 * Each announcement is a request and a reply (some devices only learn from one of them).
 *
 * <p>Uses an AF_PACKET datagram socket through the FFM API (the kernel adds the Ethernet header); needs root or
 * CAP_NET_RAW. One socket per call: announcements are rare.
 */
@SuppressWarnings("restricted") // FFM downcalls: lbd runs with --enable-native-access
public final class GratuitousArp {

    private static final int AF_PACKET = 17;
    private static final int SOCK_DGRAM = 2;
    private static final int ETH_P_ARP = 0x0806;
    private static final int SOCKADDR_LL_SIZE = 20;
    private static final int ARP_LENGTH = 28;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = downcall("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDTO = downcall("sendto",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private GratuitousArp() {
    }

    /**
     * Links the native calls now (this class's initialisation), so that the first announcement, made in the
     * middle of a takeover, does not pay for it.
     */
    public static void prepare() {
        // the static initialiser did the work
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    /**
     * Sends one announcement (a request and a reply) for each of {@code vips} out of {@code interfaceName}.
     *
     * @throws GratuitousArpException with an operator-facing message when the interface or socket is unusable
     */
    public static void announce(String interfaceName, Iterable<Inet4Address> vips) {
        NetworkInterface nic;
        byte[] mac;
        try {
            nic = NetworkInterface.getByName(interfaceName);
            mac = nic == null ? null : nic.getHardwareAddress();
        } catch (SocketException e) {
            throw new GratuitousArpException("cannot read interface " + interfaceName + ": " + e.getMessage());
        }
        if (nic == null) {
            throw new GratuitousArpException("no interface named " + interfaceName);
        }
        if (mac == null || mac.length != 6) {
            throw new GratuitousArpException(interfaceName + " has no Ethernet address; gratuitous ARP needs an Ethernet interface");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, AF_PACKET, SOCK_DGRAM, (int) Short.reverseBytes((short) ETH_P_ARP) & 0xffff);
            if (fd < 0) {
                throw new GratuitousArpException("cannot open an AF_PACKET socket: " + strerror(state)
                        + " (sending gratuitous ARP needs root or CAP_NET_RAW)");
            }
            try {
                MemorySegment to = arena.allocate(SOCKADDR_LL_SIZE, 4);
                to.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
                to.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) ETH_P_ARP);
                to.set(ValueLayout.JAVA_INT, 4, nic.getIndex());
                to.set(ValueLayout.JAVA_BYTE, 11, (byte) 6); // sll_halen
                for (int i = 0; i < 6; i++) {
                    to.set(ValueLayout.JAVA_BYTE, 12 + i, (byte) 0xff); // broadcast
                }
                MemorySegment arp = arena.allocate(ARP_LENGTH);
                for (Inet4Address vip : vips) {
                    for (int op : new int[] {1, 2}) {
                        write(arp, op, mac, vip.getAddress());
                        long sent = (long) SENDTO.invokeExact(state, fd, arp, (long) ARP_LENGTH, 0, to, SOCKADDR_LL_SIZE);
                        if (sent != ARP_LENGTH) {
                            throw new GratuitousArpException("sending a gratuitous ARP for " + vip.getHostAddress() + " on "
                                    + interfaceName + " failed: " + strerror(state));
                        }
                    }
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (GratuitousArpException e) {
            throw e;
        } catch (Throwable t) {
            throw new GratuitousArpException("gratuitous ARP on " + interfaceName + " failed: " + t);
        }
    }

    /** The 28-byte Ethernet/IPv4 ARP body: sender and target protocol address are both the VIP. */
    static void write(MemorySegment arp, int operation, byte[] mac, byte[] vip) {
        ValueLayout.OfShort be16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        arp.set(be16, 0, (short) 1);          // hardware: Ethernet
        arp.set(be16, 2, (short) 0x0800);     // protocol: IPv4
        arp.set(ValueLayout.JAVA_BYTE, 4, (byte) 6);
        arp.set(ValueLayout.JAVA_BYTE, 5, (byte) 4);
        arp.set(be16, 6, (short) operation);
        for (int i = 0; i < 6; i++) {
            arp.set(ValueLayout.JAVA_BYTE, 8 + i, mac[i]);
            arp.set(ValueLayout.JAVA_BYTE, 18 + i, operation == 2 ? mac[i] : 0); // target MAC: unknown in a request
        }
        for (int i = 0; i < 4; i++) {
            arp.set(ValueLayout.JAVA_BYTE, 14 + i, vip[i]);
            arp.set(ValueLayout.JAVA_BYTE, 24 + i, vip[i]);
        }
    }

    private static String strerror(MemorySegment state) throws Throwable {
        int errno = (int) ERRNO.get(state, 0L);
        MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
        return s.reinterpret(256).getString(0);
    }

    /** Operator-facing failure to announce. */
    public static final class GratuitousArpException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GratuitousArpException(String message) {
            super(message);
        }
    }
}
