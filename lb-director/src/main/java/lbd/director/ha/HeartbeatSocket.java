package lbd.director.ha;

import static lbd.sys.LinuxNative.AF_INET;
import static lbd.sys.LinuxNative.AF_INET6;
import static lbd.sys.LinuxNative.SOCK_CLOEXEC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import lbd.sys.LinuxNative;

/**
 * The UDP socket heartbeats and sync datagrams travel on, through FFM rather than the JDK's DatagramSocket, because
 * {@code lbd upgrade} hands it to the new process as an open descriptor (the JDK names no descriptor of its sockets
 * and makes none of one): the new process reads on where the old one stopped, the datagrams queued meanwhile
 * included, and the port is never unbound — the peer sees no gap but the few milliseconds of the hand-over.
 *
 * <p>Dual-stack (an IPv6 socket that also carries IPv4, as the JDK's), or IPv4 alone on a host without IPv6; bound
 * to the heartbeat port on every address with SO_REUSEADDR and SO_BROADCAST. {@link #receive} is the HA thread's
 * (one caller), {@link #send} any thread's (serialised here).
 */
final class HeartbeatSocket implements AutoCloseable {

    private static final int SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_BROADCAST = 6;
    private static final int SO_DOMAIN = 39;
    private static final int IPPROTO_IP = 0;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int IP_MULTICAST_IF = 32;
    private static final int IP_MULTICAST_TTL = 33;
    private static final int IP_MULTICAST_LOOP = 34;
    private static final int IP_ADD_MEMBERSHIP = 35;
    private static final int EAFNOSUPPORT = 97;
    private static final int MSGHDR_SIZE = 56;
    private static final int SOCKADDR_SIZE = 28; // sockaddr_in6, the larger of the two

    private final int fd;
    private final int family;
    private final Arena arena = Arena.ofAuto(); // freed with this object: a receive may still be under way at close
    // ---- the receiving thread's ----
    private final MemorySegment receiveErrno = LinuxNative.newErrnoSegment(arena);
    private final MemorySegment receiveBuffer;
    private final MemorySegment receiveHeader = arena.allocate(MSGHDR_SIZE, 8);
    private final MemorySegment receiveIov = arena.allocate(16, 8);
    private final MemorySegment receiveFrom = arena.allocate(SOCKADDR_SIZE, 8);
    private final MemorySegment pollFd = arena.allocate(8, 4);
    // ---- senders', under the lock ----
    private final MemorySegment sendErrno = LinuxNative.newErrnoSegment(arena);
    private final MemorySegment sendBuffer;
    private final MemorySegment sendTo = arena.allocate(SOCKADDR_SIZE, 8);
    private boolean closed;

    private HeartbeatSocket(int fd, int family, int maxDatagram) {
        this.fd = fd;
        this.family = family;
        this.receiveBuffer = arena.allocate(maxDatagram);
        this.sendBuffer = arena.allocate(maxDatagram);
        receiveIov.set(ValueLayout.ADDRESS, 0, receiveBuffer);
        receiveIov.set(ValueLayout.JAVA_LONG, 8, maxDatagram);
    }

    /** A multicast group to join (ha.cf's mcast line). */
    record Membership(String interfaceName, InetAddress group, int ttl, boolean loop) {
    }

    /**
     * Opens and binds the heartbeat port, joining {@code groups}.
     *
     * @throws IOException with the reason (port in use, no such interface...)
     */
    static HeartbeatSocket open(int port, java.util.List<Membership> groups, int maxDatagram) throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            int family = AF_INET6;
            int fd = LinuxNative.socket(errno, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0 && LinuxNative.errno(errno) == EAFNOSUPPORT) {
                family = AF_INET; // a kernel without IPv6
                fd = LinuxNative.socket(errno, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            }
            if (fd < 0) {
                throw new IOException("socket: " + LinuxNative.strerror(LinuxNative.errno(errno)));
            }
            HeartbeatSocket s = new HeartbeatSocket(fd, family, maxDatagram);
            try {
                if (family == AF_INET6) {
                    s.option(call, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
                }
                s.option(call, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
                s.option(call, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
                MemorySegment any = call.allocate(SOCKADDR_SIZE, 8);
                int length = s.address(any, family == AF_INET6 ? new InetSocketAddress(
                        InetAddress.getByAddress(new byte[16]), port) : new InetSocketAddress(
                        InetAddress.getByAddress(new byte[4]), port));
                if (LinuxNative.bind(errno, fd, any, length) != 0) {
                    throw new IOException(LinuxNative.strerror(LinuxNative.errno(errno)));
                }
                for (Membership m : groups) {
                    s.join(call, m);
                }
                return s;
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }
    }

    /** The socket another process handed over (a descriptor of this process's now, its options and groups set). */
    static HeartbeatSocket adopt(int fd, int maxDatagram) throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            MemorySegment value = call.allocate(ValueLayout.JAVA_INT);
            MemorySegment length = call.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 4);
            if (LinuxNative.getsockopt(errno, fd, SOL_SOCKET, SO_DOMAIN, value, length) != 0) {
                throw new IOException("the heartbeat socket handed over: " + LinuxNative.strerror(
                        LinuxNative.errno(errno)));
            }
            int family = value.get(ValueLayout.JAVA_INT, 0);
            if (family != AF_INET && family != AF_INET6) {
                throw new IOException("the heartbeat socket handed over is of address family " + family);
            }
            return new HeartbeatSocket(fd, family, maxDatagram);
        }
    }

    /** The descriptor (to hand over a copy of it). */
    int fd() {
        return fd;
    }

    /** A datagram received: its length in the caller's array, and its sender. */
    record Received(int length, InetAddress from) {
    }

    /**
     * Waits up to {@code timeoutMillis} for a datagram and copies it into {@code into}; null when none came (or the
     * wait was interrupted by a signal).
     */
    Received receive(byte[] into, int timeoutMillis) throws IOException {
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, LinuxNative.POLLIN);
        pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        int ready = LinuxNative.poll(receiveErrno, pollFd, 1, timeoutMillis);
        if (ready <= 0) {
            if (ready < 0 && LinuxNative.errno(receiveErrno) != LinuxNative.EINTR) {
                throw new IOException("poll: " + LinuxNative.strerror(LinuxNative.errno(receiveErrno)));
            }
            return null;
        }
        receiveHeader.fill((byte) 0);
        receiveHeader.set(ValueLayout.ADDRESS, 0, receiveFrom);
        receiveHeader.set(ValueLayout.JAVA_INT, 8, SOCKADDR_SIZE);
        receiveHeader.set(ValueLayout.ADDRESS, 16, receiveIov);
        receiveHeader.set(ValueLayout.JAVA_LONG, 24, 1L);
        long n = LinuxNative.recvmsg(receiveErrno, fd, receiveHeader, LinuxNative.MSG_DONTWAIT);
        if (n < 0) {
            int e = LinuxNative.errno(receiveErrno);
            if (e == LinuxNative.EAGAIN || e == LinuxNative.EINTR) {
                return null;
            }
            throw new IOException("recvmsg: " + LinuxNative.strerror(e));
        }
        int length = (int) Math.min(n, into.length);
        MemorySegment.copy(receiveBuffer, ValueLayout.JAVA_BYTE, 0, into, 0, length);
        return new Received(length, sender(receiveFrom));
    }

    /** Sends {@code length} bytes of {@code data} to {@code to}. */
    synchronized void send(byte[] data, int length, InetSocketAddress to) throws IOException {
        if (closed) {
            throw new SocketException("the heartbeat socket is closed");
        }
        MemorySegment.copy(data, 0, sendBuffer, ValueLayout.JAVA_BYTE, 0, length);
        int toLength = address(sendTo, to);
        long sent = LinuxNative.sendto(sendErrno, fd, sendBuffer, length, 0, sendTo, toLength);
        if (sent < 0) {
            throw new IOException(LinuxNative.strerror(LinuxNative.errno(sendErrno)));
        }
    }

    private void join(Arena call, Membership m) throws IOException {
        NetworkInterface nic = NetworkInterface.getByName(m.interfaceName());
        if (nic == null) {
            throw new IOException("mcast " + m.interfaceName() + ": no such interface here");
        }
        if (!(m.group() instanceof Inet4Address)) {
            throw new IOException("mcast " + m.group().getHostAddress() + ": an IPv4 group is needed");
        }
        MemorySegment mreqn = call.allocate(12, 4); // imr_multiaddr, imr_address, imr_ifindex
        MemorySegment.copy(m.group().getAddress(), 0, mreqn, ValueLayout.JAVA_BYTE, 0, 4);
        mreqn.set(ValueLayout.JAVA_INT, 8, nic.getIndex());
        MemorySegment errno = LinuxNative.newErrnoSegment(call);
        if (LinuxNative.setsockopt(errno, fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn, 12) != 0
                || LinuxNative.setsockopt(errno, fd, IPPROTO_IP, IP_MULTICAST_IF, mreqn, 12) != 0) {
            throw new IOException("mcast " + m.interfaceName() + " " + m.group().getHostAddress() + ": "
                    + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
        option(call, IPPROTO_IP, IP_MULTICAST_TTL, m.ttl(), "IP_MULTICAST_TTL");
        option(call, IPPROTO_IP, IP_MULTICAST_LOOP, m.loop() ? 1 : 0, "IP_MULTICAST_LOOP");
    }

    private void option(Arena call, int level, int name, int value, String what) throws IOException {
        MemorySegment v = call.allocate(ValueLayout.JAVA_INT);
        v.set(ValueLayout.JAVA_INT, 0, value);
        MemorySegment errno = LinuxNative.newErrnoSegment(call);
        if (LinuxNative.setsockopt(errno, fd, level, name, v, 4) != 0) {
            throw new IOException(what + ": " + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
    }

    /** Writes {@code to} as this socket's family's sockaddr (IPv4 as ::ffff:a.b.c.d on a dual-stack one). */
    private int address(MemorySegment out, InetSocketAddress to) throws IOException {
        out.fill((byte) 0);
        byte[] a = to.getAddress().getAddress();
        short port = Short.reverseBytes((short) to.getPort()); // network order
        if (family == AF_INET) {
            if (a.length != 4) {
                throw new IOException(to.getAddress().getHostAddress() + ": this host has no IPv6");
            }
            out.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            out.set(ValueLayout.JAVA_SHORT, 2, port);
            MemorySegment.copy(a, 0, out, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        out.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET6);
        out.set(ValueLayout.JAVA_SHORT, 2, port);
        if (a.length == 4) {
            out.set(ValueLayout.JAVA_BYTE, 18, (byte) 0xff);
            out.set(ValueLayout.JAVA_BYTE, 19, (byte) 0xff);
            MemorySegment.copy(a, 0, out, ValueLayout.JAVA_BYTE, 20, 4);
        } else {
            MemorySegment.copy(a, 0, out, ValueLayout.JAVA_BYTE, 8, 16);
            if (to.getAddress() instanceof Inet6Address v6 && v6.getScopeId() > 0) {
                out.set(ValueLayout.JAVA_INT, 24, v6.getScopeId());
            }
        }
        return SOCKADDR_SIZE;
    }

    /** The sender of a received datagram; an IPv4 one as plain IPv4 (not ::ffff:...). */
    private static InetAddress sender(MemorySegment from) throws UnknownHostException {
        int family = from.get(ValueLayout.JAVA_SHORT, 0);
        if (family == AF_INET) {
            return InetAddress.getByAddress(from.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE));
        }
        byte[] a = from.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
        return InetAddress.getByAddress(a); // the JDK makes a v4-mapped address an Inet4Address
    }

    /** Closes this process's descriptor (a copy handed over stays open in the other process). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena call = Arena.ofConfined()) {
            LinuxNative.close(LinuxNative.newErrnoSegment(call), fd);
        }
    }
}
