package lbd.director.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.net.SocketException;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.DrSystemException;
import lbd.sys.LinuxNative;
import lbd.dataplane.dr.sys.PacketSocket;

/**
 * Gratuitous ARP, as heartbeat's send_arp sends it after IPaddr adds a VIP: broadcast ARP whose sender and target
 * address are the VIP and whose sender MAC is this interface's, so that neighbours (the router, the clients on
 * the segment) repoint their caches at this node at once instead of when their entry expires. Each announcement
 * is a request and a reply (some devices only learn from one of them). The one writer of it, for the DR data
 * path's VIPs (on its ARP socket) and for HA's (a socket per call: announcements are rare). Needs root or
 * CAP_NET_RAW.
 */
public final class GratuitousArp {

    private GratuitousArp() {
    }

    /**
     * Links the native calls now, so that the first announcement, made in the middle of a takeover, does not pay
     * for it.
     */
    public static void prepare() {
        LinuxNative.ensureLinked();
    }

    /** One announcement of {@code vip} on {@code socket}; {@code buffer} holds a frame. False when a send failed. */
    public static boolean announce(PacketSocket socket, MemorySegment buffer, long mac, int vip) {
        boolean sent = socket.send(buffer, frame(buffer, ArpFrame.REQUEST, mac, vip));
        return socket.send(buffer, frame(buffer, ArpFrame.REPLY, mac, vip)) && sent;
    }

    /** The broadcast frame of one half of an announcement (request or reply); returns its length. */
    static int frame(MemorySegment buffer, int operation, long mac, int vip) {
        return operation == ArpFrame.REQUEST ? ArpFrame.writeGratuitous(buffer, mac, vip)
                : ArpFrame.write(buffer, ArpFrame.BROADCAST, ArpFrame.REPLY, mac, vip, ArpFrame.BROADCAST, vip);
    }

    /**
     * Sends one announcement for each of {@code vips} out of {@code interfaceName}.
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
            throw new GratuitousArpException(interfaceName + " has no Ethernet address; gratuitous ARP needs an"
                    + " Ethernet interface");
        }
        long ownMac = 0;
        for (byte b : mac) {
            ownMac = (ownMac << 8) | (b & 0xff);
        }
        PacketSocket socket;
        try {
            socket = PacketSocket.open(interfaceName, nic.getIndex(), BpfFilter.forVips(new int[0]), -1);
        } catch (DrSystemException e) {
            throw new GratuitousArpException(e.getMessage() + " (sending gratuitous ARP needs root or CAP_NET_RAW)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(ArpFrame.LENGTH, 8);
            for (Inet4Address vip : vips) {
                if (!announce(socket, buffer, ownMac, Net.ipv4(vip.getAddress()))) {
                    throw new GratuitousArpException("sending a gratuitous ARP for " + vip.getHostAddress() + " on "
                            + interfaceName + " failed");
                }
            }
        } finally {
            socket.close();
        }
    }

    /** Operator-facing failure to announce. */
    public static final class GratuitousArpException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GratuitousArpException(String message) {
            super(message);
        }
    }
}
