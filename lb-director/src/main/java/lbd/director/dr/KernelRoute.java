package lbd.director.dr;

import static lbd.sys.LinuxNative.AF_INET;
import static lbd.sys.LinuxNative.AF_INET6;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import lbd.sys.LinuxNative;

/**
 * The kernel's answer to "how would this host send to ADDRESS" — what {@code ip route get ADDRESS} asks, over
 * rtnetlink (RTM_GETROUTE) without starting a process — as IPVS asks its routing table for each destination: the
 * interface, the gateway when the address is not on a directly connected network, and the source address the
 * route prefers. The control plane asks, at start and with every resolution; the DR workers only read the result
 * in the published tables.
 *
 * @param device  the interface the route leaves on ({@code lo} for an address of this host)
 * @param gateway the next hop when the address is behind a router; empty when directly connected
 * @param source  the preferred source address, empty when the route names none
 * @param local   the address is this host's own ({@code local} route)
 */
public record KernelRoute(String device, Optional<InetAddress> gateway, Optional<InetAddress> source, boolean local) {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_ROUTE = 0;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_GETROUTE = 26;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short RTA_DST = 1;
    private static final short RTA_OIF = 4;
    private static final short RTA_GATEWAY = 5;
    private static final short RTA_PREFSRC = 7;
    private static final short RTA_VIA = 18;
    private static final int RTN_UNICAST = 1;
    private static final int RTN_LOCAL = 2;
    private static final int HEADER = 16; // struct nlmsghdr
    private static final int RTMSG = 12;  // struct rtmsg

    /** The route to {@code address}, or empty when the kernel has none (the reason is then in {@code why[0]}). */
    public static Optional<KernelRoute> lookup(InetAddress address, String[] why) {
        byte[] dst = address.getAddress();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(arena);
            MemorySegment msg = arena.allocate(64, 4);
            int length = HEADER + RTMSG + 4 + dst.length;
            msg.set(ValueLayout.JAVA_INT, 0, length);
            msg.set(ValueLayout.JAVA_SHORT, 4, RTM_GETROUTE);
            msg.set(ValueLayout.JAVA_SHORT, 6, NLM_F_REQUEST);
            msg.set(ValueLayout.JAVA_INT, 8, 1);
            msg.set(ValueLayout.JAVA_BYTE, HEADER, (byte) (dst.length == 16 ? AF_INET6 : AF_INET)); // rtm_family
            msg.set(ValueLayout.JAVA_BYTE, HEADER + 1, (byte) (dst.length * 8));                    // rtm_dst_len
            int at = HEADER + RTMSG;
            msg.set(ValueLayout.JAVA_SHORT, at, (short) (4 + dst.length));
            msg.set(ValueLayout.JAVA_SHORT, at + 2, RTA_DST);
            MemorySegment.copy(dst, 0, msg, ValueLayout.JAVA_BYTE, at + 4, dst.length);

            int fd = LinuxNative.socket(errno, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
            if (fd < 0) {
                why[0] = "cannot open a netlink socket: " + LinuxNative.strerror(LinuxNative.errno(errno));
                return Optional.empty();
            }
            try {
                MemorySegment kernel = arena.allocate(12, 4); // struct sockaddr_nl, pid 0 = the kernel
                kernel.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
                if (LinuxNative.sendto(errno, fd, msg, length, 0, kernel, 12) != length) {
                    why[0] = "cannot ask the kernel for a route: " + LinuxNative.strerror(LinuxNative.errno(errno));
                    return Optional.empty();
                }
                MemorySegment reply = arena.allocate(8192, 4);
                long n = LinuxNative.recv(errno, fd, reply, reply.byteSize(), 0);
                if (n < HEADER) {
                    why[0] = "no answer from the kernel for a route: " + LinuxNative.strerror(LinuxNative.errno(errno));
                    return Optional.empty();
                }
                return parse(reply, (int) Math.min(n, reply.get(ValueLayout.JAVA_INT, 0)), why);
            } finally {
                LinuxNative.close(errno, fd);
            }
        }
    }

    /** One RTM_NEWROUTE answer (or NLMSG_ERROR) of {@code length} bytes. */
    private static Optional<KernelRoute> parse(MemorySegment m, int length, String[] why) {
        short type = m.get(ValueLayout.JAVA_SHORT, 4);
        if (type == NLMSG_ERROR) {
            int error = -m.get(ValueLayout.JAVA_INT, HEADER);
            why[0] = error == 0 ? "no route" : LinuxNative.strerror(error);
            return Optional.empty();
        }
        if (type != RTM_NEWROUTE || length < HEADER + RTMSG) {
            why[0] = "an unexpected answer from the kernel (message type " + type + ")";
            return Optional.empty();
        }
        int routeType = m.get(ValueLayout.JAVA_BYTE, HEADER + 7) & 0xff;
        if (routeType != RTN_UNICAST && routeType != RTN_LOCAL) {
            why[0] = "the route is of type " + routeType + " (unreachable, prohibit or blackhole)";
            return Optional.empty();
        }
        int oif = 0;
        InetAddress gateway = null;
        InetAddress source = null;
        for (int at = HEADER + RTMSG; at + 4 <= length; ) {
            int len = m.get(ValueLayout.JAVA_SHORT, at) & 0xffff;
            int attribute = m.get(ValueLayout.JAVA_SHORT, at + 2) & 0x3fff;
            if (len < 4 || at + len > length) {
                break;
            }
            switch (attribute) {
                case RTA_OIF -> oif = m.get(ValueLayout.JAVA_INT, at + 4);
                case RTA_GATEWAY -> gateway = address(m, at + 4, len - 4);
                case RTA_PREFSRC -> source = address(m, at + 4, len - 4);
                case RTA_VIA -> gateway = address(m, at + 6, len - 6); // struct rtvia: family, then the address
                default -> {
                    // table, metrics, uid, cache info: not needed here
                }
            }
            at += (len + 3) & ~3;
        }
        String device = deviceName(oif);
        if (device == null) {
            why[0] = "the route names interface index " + oif + ", which this host does not list";
            return Optional.empty();
        }
        return Optional.of(new KernelRoute(device, Optional.ofNullable(gateway), Optional.ofNullable(source),
                routeType == RTN_LOCAL));
    }

    private static InetAddress address(MemorySegment m, int at, int length) {
        if (length != 4 && length != 16) {
            return null;
        }
        try {
            return InetAddress.getByAddress(m.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE));
        } catch (UnknownHostException e) {
            return null; // four or sixteen bytes are always an address
        }
    }

    private static String deviceName(int index) {
        return HostInterface.nameOf(index).orElse(null); // NetworkInterface omits interfaces without an address
    }
}
