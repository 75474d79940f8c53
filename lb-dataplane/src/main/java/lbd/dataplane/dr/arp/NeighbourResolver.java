package lbd.dataplane.dr.arp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;

/**
 * The control plane's ARP socket on the DR interface (outside the fanout group, so it sees its own copy of
 * every ARP frame): resolves real servers' MACs — from the kernel's neighbour table first, else by sending
 * ARP requests and reading the replies — and sends the gratuitous ARPs that announce a VIP. Control-plane
 * thread only; it may block for the resolve timeout.
 */
public final class NeighbourResolver implements AutoCloseable {

    private final String interfaceName;
    private final long ownMac;
    private final int ownIp;
    private final PacketSocket socket;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65536, 8);
    private final FrameParser parser = new FrameParser();

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

    /** Announces that this host now answers for the VIP, so that neighbours update their ARP caches. */
    public void announce(int vip) {
        int n = ArpFrame.writeGratuitous(buffer, ownMac, vip);
        socket.send(buffer, n);
        n = ArpFrame.write(buffer, ArpFrame.BROADCAST, ArpFrame.REPLY, ownMac, vip, ArpFrame.BROADCAST, vip);
        socket.send(buffer, n);
    }

    @Override
    public void close() {
        socket.close();
        arena.close();
    }
}
