package lbd.director.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.NdFrame;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;

/**
 * The control plane's ARP socket on one interface (outside the data plane's fanout groups, so it sees its own
 * copy of every ARP frame): resolves neighbours' MACs (real servers, or the next hop towards one) — from the
 * kernel's neighbour table first, else by sending ARP requests and reading the replies — and sends the gratuitous
 * ARPs that announce a VIP. One thread only (lbd-dr, never a worker and never the conductor): it may block for the
 * resolve timeout.
 */
public final class NeighbourResolver implements AutoCloseable {

    private final String interfaceName;
    private final long ownMac;
    private final int ownIp;
    private final PacketSocket socket;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65536, 8);
    private final FrameParser parser = new FrameParser();
    private final Map<Inet6Address, DatagramChannel> groups = new HashMap<>(); // solicited-node groups joined
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("lbd");

    /** The interface it resolves on. */
    public String interfaceName() {
        return interfaceName;
    }

    /**
     * @param ownIp the director's IPv4 address on the interface (sender of ARP requests), 0 for an ARP probe
     */
    public NeighbourResolver(String interfaceName, int interfaceIndex, long ownMac, int ownIp) {
        this.interfaceName = interfaceName;
        this.ownMac = ownMac;
        this.ownIp = ownIp;
        this.socket = PacketSocket.open(interfaceName, interfaceIndex, BpfFilter.forVips(new int[0]), -1);
    }

    /**
     * MACs of the given IPv4 addresses; those that stay unresolved after {@code timeoutMillis} are absent.
     */
    public Map<Integer, Long> resolve(Set<Integer> addresses, long timeoutMillis) {
        Map<Integer, Long> known = ProcNetArp.read(Path.of("/proc/net/arp"), interfaceName);
        Map<Integer, Long> out = new HashMap<>();
        for (int ip : addresses) {
            Long mac = known.get(ip);
            if (mac != null) {
                out.put(ip, mac);
            }
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        long nextRequest = 0;
        while (out.size() < addresses.size() && System.nanoTime() < deadline) {
            if (System.nanoTime() >= nextRequest) {
                for (int ip : addresses) {
                    if (!out.containsKey(ip)) {
                        int n = ArpFrame.write(buffer, ArpFrame.BROADCAST, ArpFrame.REQUEST, ownMac, ownIp, 0L, ip);
                        socket.send(buffer, n);
                    }
                }
                nextRequest = System.nanoTime() + 200_000_000L;
            }
            socket.awaitReadable(50);
            int length;
            while ((length = socket.receive(buffer)) > 0) {
                if (parser.parse(buffer, length) != FrameParser.ARP) {
                    continue;
                }
                int l3 = parser.networkOffset();
                if (ArpFrame.isEthernetIpv4(buffer, l3, length) && ArpFrame.operation(buffer, l3) == ArpFrame.REPLY) {
                    int sender = ArpFrame.senderIp(buffer, l3);
                    if (addresses.contains(sender)) {
                        out.put(sender, ArpFrame.senderMac(buffer, l3));
                    }
                }
            }
        }
        return out;
    }

    /**
     * MACs of the given IPv6 addresses, from the kernel's neighbour table; for those it lacks, a datagram to the
     * discard port (9) makes the kernel solicit them (neighbour discovery, to their solicited-node group) and the
     * table is read again until {@code timeoutMillis}. Absent: unresolved.
     */
    public Map<InetAddress, Long> resolve6(Set<InetAddress> addresses, long timeoutMillis) {
        Map<InetAddress, Long> out = new HashMap<>();
        if (addresses.isEmpty()) {
            return out;
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        long nextSolicit = 0;
        while (true) {
            Map<InetAddress, Long> known = IpNeighbours.read(interfaceName);
            for (InetAddress ip : addresses) {
                Long mac = known.get(ip);
                if (mac != null) {
                    out.put(ip, mac);
                }
            }
            if (out.size() == addresses.size() || System.nanoTime() >= deadline) {
                return out;
            }
            if (System.nanoTime() >= nextSolicit) {
                for (InetAddress ip : addresses) {
                    if (!out.containsKey(ip)) {
                        solicit(ip);
                    }
                }
                nextSolicit = System.nanoTime() + 1_000_000_000L; // the kernel retransmits its solicitations itself
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
    }

    private void solicit(InetAddress ip) {
        try (DatagramChannel c = DatagramChannel.open()) {
            InetAddress to = ip;
            if (ip.isLinkLocalAddress()) { // a router's fe80:: address: reachable only through this interface
                to = java.net.Inet6Address.getByAddress(null, ip.getAddress(), NetworkInterface.getByName(interfaceName));
            }
            c.send(ByteBuffer.allocate(1), new InetSocketAddress(to, 9));
        } catch (IOException e) {
            // no route: the address stays unresolved, with the reason the caller gives
        }
    }

    /**
     * Joins the VIP's solicited-node multicast group on the interface (the kernel reports it with MLD, so that a
     * switch that snoops MLD forwards the solicitations for the VIP to this port; the NIC then also accepts the
     * group's frames), then announces (unsolicited neighbour advertisement to all nodes) that this host now
     * answers for the VIP.
     */
    public void announce(Inet6Address vip) {
        if (!groups.containsKey(vip)) {
            byte[] a = vip.getAddress();
            byte[] g = new byte[16];
            g[0] = (byte) 0xff;
            g[1] = 0x02;
            g[11] = 1;
            g[12] = (byte) 0xff;
            g[13] = a[13];
            g[14] = a[14];
            g[15] = a[15];
            try {
                DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET6);
                try {
                    c.join(InetAddress.getByAddress(g), NetworkInterface.getByName(interfaceName));
                    groups.put(vip, c);
                } catch (IOException | RuntimeException e) {
                    c.close();
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                log.warn("direct routing: cannot join the solicited-node group of {} on {} ({}); neighbour"
                        + " solicitations for it may not reach this director through an MLD-snooping switch",
                        vip.getHostAddress(), interfaceName, e.getMessage());
            }
        }
        byte[] a = vip.getAddress();
        int n = NdFrame.writeUnsolicited(buffer, ownMac, Net.ipv6Half(a, 0), Net.ipv6Half(a, 1));
        socket.send(buffer, n);
    }

    /** Announces that this host now answers for the VIP, so that neighbours update their ARP caches. */
    public void announce(int vip) {
        GratuitousArp.announce(socket, buffer, ownMac, vip);
    }

    @Override
    public void close() {
        for (DatagramChannel c : groups.values()) {
            try {
                c.close();
            } catch (IOException e) {
                // leaving a group cannot fail in a way that matters on the way out
            }
        }
        socket.close();
        arena.close();
    }
}
