package lbd.director.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lbd.config.model.RealServerKey;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.table.Destination;

/**
 * The control plane's ARP socket on the DR interface (outside the data plane's fanout group, so it sees its own
 * copy of every ARP frame): resolves real servers' MACs — from the kernel's neighbour table first, else by
 * sending ARP requests and reading the replies — and sends the gratuitous ARPs that announce a VIP. One thread
 * only (lbd-dr, never a worker and never the conductor): it may block for the resolve timeout.
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

    /** What {@link #resolveServers} found: each server's MAC, or why not. */
    public record Resolution(Map<RealServerKey, Long> macs, Map<RealServerKey, String> unresolved) {
        public Resolution {
            macs = Map.copyOf(macs);
            unresolved = Map.copyOf(unresolved);
        }
    }

    /**
     * The MACs of these gate real servers (IPv4 ones; several servers at one address share its MAC), and
     * {@link Destination#LOCAL_NODE} for those at an address of this director; those left unresolved after {@code timeoutMillis} come with the reason the operator sees while they are held down.
     */
    public Resolution resolveServers(Collection<RealServerKey> servers, long timeoutMillis) {
        Map<Integer, List<RealServerKey>> wanted = new LinkedHashMap<>();
        Map<RealServerKey, Long> macs = new HashMap<>();
        for (RealServerKey s : servers) {
            if (s.address().isIpv4() && DrHost.isOwnAddress(s.address().address())) {
                macs.put(s, Destination.LOCAL_NODE); // no ARP: the director itself (IPVS's local node)
            } else if (s.address().isIpv4()) {
                wanted.computeIfAbsent(Net.ipv4(s.address().address().getAddress()), k -> new ArrayList<>()).add(s);
            }
        }
        Map<Integer, Long> found = resolve(wanted.keySet(), timeoutMillis);
        Map<RealServerKey, String> unresolved = new HashMap<>();
        wanted.forEach((ip, atIp) -> {
            Long mac = found.get(ip);
            for (RealServerKey s : atIp) {
                if (mac != null) {
                    macs.put(s, mac);
                } else {
                    unresolved.put(s, "MAC address of " + Net.formatIpv4(ip) + " not resolved on " + interfaceName
                            + " (no ARP reply within " + timeoutMillis + " ms): is the real server up and on"
                            + " the director's L2 segment?");
                }
            }
        });
        return new Resolution(macs, unresolved);
    }

    /** Announces that this host now answers for the VIP, so that neighbours update their ARP caches. */
    public void announce(int vip) {
        GratuitousArp.announce(socket, buffer, ownMac, vip);
    }

    @Override
    public void close() {
        socket.close();
        arena.close();
    }
}
