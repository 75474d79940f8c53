package lbd.director.ha;

import static lbd.sys.LinuxNative.AF_INET;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import lbd.director.dr.HostInterface;
import lbd.sys.LinuxNative;

/**
 * Adds and removes an IPv4 address on an interface over rtnetlink (RTM_NEWADDR / RTM_DELADDR), what
 * {@code ip addr add VIP/PREFIX brd + dev IF label IF:0} does, without starting a process: a takeover should not
 * wait for a fork and exec on a busy host. Needs root or CAP_NET_ADMIN. One socket per call: takeovers are rare.
 */
final class RtNetlink {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_ROUTE = 0;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_DELADDR = 21;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_EXCL = 0x200;
    private static final short NLM_F_CREATE = 0x400;
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_LOCAL = 2;
    private static final short IFA_LABEL = 3;
    private static final short IFA_BROADCAST = 4;
    static final int EEXIST = 17;
    static final int EADDRNOTAVAIL = 99;

    private RtNetlink() {
    }

    /** Links the native calls now, so that the first takeover does not pay for it. */
    static void prepare() {
        LinuxNative.ensureLinked();
    }

    /**
     * Adds {@code address/prefix} to {@code ifname} with its broadcast address and {@code label} (null: none).
     *
     * @return 0, or the kernel's errno ({@link #EEXIST} when the address is already there)
     */
    static int add(String ifname, Inet4Address address, int prefix, Inet4Address broadcast, String label) {
        return request(RTM_NEWADDR, (short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL), ifname, address,
                prefix, broadcast, label);
    }

    /** Removes {@code address/prefix} from {@code ifname}; 0, or the kernel's errno ({@link #EADDRNOTAVAIL}: absent). */
    static int delete(String ifname, Inet4Address address, int prefix) {
        return request(RTM_DELADDR, (short) (NLM_F_REQUEST | NLM_F_ACK), ifname, address, prefix, null, null);
    }

    /** The text of an errno, e.g. "Operation not permitted". */
    static String describe(int errno) {
        return LinuxNative.strerror(errno);
    }

    private static int request(short type, short flags, String ifname, Inet4Address address, int prefix,
                               Inet4Address broadcast, String label) {
        // From /sys/class/net: the JDK's NetworkInterface does not list an interface without an address of its own,
        // such as one that carries only the VIP.
        int index = HostInterface.indexOf(ifname)
                .orElseThrow(() -> new IllegalArgumentException("no interface named " + ifname));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LinuxNative.newErrnoSegment(arena);
            MemorySegment msg = arena.allocate(128, 4);
            int length = 16 + 8;
            // struct ifaddrmsg
            msg.set(ValueLayout.JAVA_BYTE, 16, (byte) AF_INET);
            msg.set(ValueLayout.JAVA_BYTE, 17, (byte) prefix);
            msg.set(ValueLayout.JAVA_INT, 20, index);
            length = attribute(msg, length, IFA_LOCAL, address.getAddress());
            length = attribute(msg, length, IFA_ADDRESS, address.getAddress());
            if (broadcast != null) {
                length = attribute(msg, length, IFA_BROADCAST, broadcast.getAddress());
            }
            if (label != null) {
                byte[] l = label.getBytes(StandardCharsets.US_ASCII);
                length = attribute(msg, length, IFA_LABEL, java.util.Arrays.copyOf(l, l.length + 1));
            }
            // struct nlmsghdr
            msg.set(ValueLayout.JAVA_INT, 0, length);
            msg.set(ValueLayout.JAVA_SHORT, 4, type);
            msg.set(ValueLayout.JAVA_SHORT, 6, flags);
            msg.set(ValueLayout.JAVA_INT, 8, 1);

            int fd = LinuxNative.socket(state, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
            if (fd < 0) {
                return LinuxNative.errno(state);
            }
            try {
                MemorySegment kernel = arena.allocate(12, 4); // struct sockaddr_nl, pid 0 = the kernel
                kernel.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
                long sent = LinuxNative.sendto(state, fd, msg, length, 0, kernel, 12);
                if (sent != length) {
                    return LinuxNative.errno(state);
                }
                MemorySegment reply = arena.allocate(4096, 4);
                long n = LinuxNative.recv(state, fd, reply, 4096L, 0);
                if (n < 0) {
                    return LinuxNative.errno(state);
                }
                if (n >= 20 && reply.get(ValueLayout.JAVA_SHORT, 4) == NLMSG_ERROR) {
                    return -reply.get(ValueLayout.JAVA_INT, 16); // 0 = the acknowledgement
                }
                return 0;
            } finally {
                LinuxNative.close(state, fd);
            }
        }
    }

    /** Appends one struct rtattr (4-byte aligned); returns the new length. */
    private static int attribute(MemorySegment msg, int at, short type, byte[] value) {
        int len = 4 + value.length;
        msg.set(ValueLayout.JAVA_SHORT, at, (short) len);
        msg.set(ValueLayout.JAVA_SHORT, at + 2, type);
        MemorySegment.copy(value, 0, msg, ValueLayout.JAVA_BYTE, at + 4, value.length);
        return at + ((len + 3) & ~3);
    }
}
