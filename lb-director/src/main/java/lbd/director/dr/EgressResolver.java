package lbd.director.dr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.table.Egress;

/**
 * Where each gate or ipip real server's packets leave, as IPVS would find it in the kernel's routing table
 * (ip_vs_xmit.c's route lookup per destination): the control plane asks the route to the real server, then the
 * MAC of its next hop on that interface (the real server itself for gate, the route's gateway or the server for
 * ipip), and publishes the result as the destination's {@link Egress}; the DR workers look nothing up.
 *
 * <ul>
 *   <li>gate: the real server must be on a network directly connected to the director (no gateway in the route),
 *       as with IPVS's direct routing; the frame leaves on the route's interface, from that interface's MAC, to
 *       the server's MAC;</li>
 *   <li>ipip: the client's packet in an IPv4 header from the route's preferred source address (IPVS binds the
 *       route to it too) to the server, sent to the MAC of the route's next hop;</li>
 *   <li>a server at one of the director's own addresses (a {@code local} route, or loopback) is IPVS's local
 *       node: {@link Egress#LOCAL_NODE}, IPv4 only.</li>
 * </ul>
 * What cannot work whatever the neighbours do (a gate server behind a router, a route over an interface that is not
 * Ethernet, no route, no source address for a tunnel) is a {@linkplain #problem problem}: lbd refuses to start with
 * it, and holds a server added later down with it. A neighbour that does not answer holds the server down until a
 * later resolution finds it. One ARP socket per interface, opened when first needed; lbd-dr thread only.
 */
public final class EgressResolver implements AutoCloseable {

    private final Map<String, NeighbourResolver> neighbours = new LinkedHashMap<>();
    private final List<String> ingress;

    /** @param ingress the interfaces lbd receives on: VIPs are announced on each */
    public EgressResolver(List<DrInterface> ingress) {
        this.ingress = ingress.stream().map(DrInterface::name).toList();
        for (DrInterface i : ingress) {
            neighbours.put(i.name(), new NeighbourResolver(i.name(), i.index(), i.mac(), DrHost.ownIpv4(i.name())));
        }
    }

    /** What {@link #resolve} found: each server's egress, or why it has none (the server is then held down). */
    public record Resolution(Map<RealServerKey, Egress> egress, Map<RealServerKey, String> unresolved) {
        public Resolution {
            egress = Map.copyOf(egress);
            unresolved = Map.copyOf(unresolved);
        }
    }

    /**
     * A server's route, checked: where its packets go before the next hop's MAC is known.
     *
     * @param tunnelSource ipip: the outer header's source (the route's preferred source); null for gate
     */
    private record Path(HostInterface device, InetAddress nextHop, InetAddress tunnelSource) {
    }

    /**
     * What keeps these servers from ever being forwarded to, one line each naming the server, the interface and
     * what to change; empty when none. Reads routes only (no packet is sent): what lbd checks at start.
     */
    public static List<String> problems(Collection<RealServer> servers) {
        List<String> out = new ArrayList<>();
        Set<RealServerKey> seen = new HashSet<>();
        Map<String, Optional<HostInterface>> devices = new HashMap<>();
        for (RealServer s : servers) {
            if (seen.add(s.key())) {
                String[] why = new String[1];
                if (path(s, devices, why) == null && why[0] != null) {
                    out.add(why[0]);
                }
            }
        }
        return out;
    }

    /**
     * Each server's egress; those whose next hop does not answer within {@code timeoutMillis}, or with a
     * {@linkplain #problems problem}, come with the reason the operator sees while they are held down.
     */
    public Resolution resolve(Collection<RealServer> servers, long timeoutMillis) {
        Map<RealServerKey, Egress> egress = new HashMap<>();
        Map<RealServerKey, String> unresolved = new HashMap<>();
        // next hops to resolve, per interface; and which servers wait for each
        Map<String, Map<InetAddress, List<RealServer>>> wanted = new LinkedHashMap<>();
        Map<RealServerKey, Path> paths = new HashMap<>();
        Map<String, Optional<HostInterface>> devices = new HashMap<>(); // read once per resolution
        for (RealServer s : servers) {
            String[] why = new String[1];
            Path path = path(s, devices, why);
            if (path == null && why[0] == null) {
                egress.put(s.key(), Egress.LOCAL_NODE);
            } else if (path == null) {
                unresolved.put(s.key(), why[0]);
            } else {
                paths.put(s.key(), path);
                wanted.computeIfAbsent(path.device().name(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(path.nextHop(), k -> new ArrayList<>()).add(s);
            }
        }
        wanted.forEach((device, hops) -> {
            NeighbourResolver n = neighboursOn(paths.get(hops.values().iterator().next().getFirst().key()).device());
            Set<Integer> v4 = new HashSet<>();
            Set<InetAddress> v6 = new HashSet<>();
            hops.keySet().forEach(h -> {
                if (h instanceof Inet4Address) {
                    v4.add(Net.ipv4(h.getAddress()));
                } else {
                    v6.add(h);
                }
            });
            Map<Integer, Long> found = n.resolve(v4, timeoutMillis);
            Map<InetAddress, Long> found6 = n.resolve6(v6, timeoutMillis);
            hops.forEach((hop, waiting) -> {
                Long mac = hop instanceof Inet4Address ? found.get(Net.ipv4(hop.getAddress())) : found6.get(hop);
                for (RealServer s : waiting) {
                    Path path = paths.get(s.key());
                    if (mac == null) {
                        unresolved.put(s.key(), unanswered(s, hop, device, timeoutMillis));
                    } else if (s.forwarding() == ForwardingMethod.IPIP) {
                        egress.put(s.key(), tunnel(path, mac, s.address().address()));
                    } else {
                        egress.put(s.key(), Egress.gate(path.device().index(), path.device().mac(), mac,
                                path.device().mtu()));
                    }
                }
            });
        });
        return new Resolution(egress, unresolved);
    }

    private static Egress tunnel(Path path, long mac, InetAddress server) {
        HostInterface d = path.device();
        byte[] from = path.tunnelSource().getAddress();
        byte[] to = server.getAddress();
        if (to.length == 16) {
            return Egress.tunnel6(d.index(), d.mac(), mac, d.mtu(), Net.ipv6Half(from, 0), Net.ipv6Half(from, 1),
                    Net.ipv6Half(to, 0), Net.ipv6Half(to, 1));
        }
        return Egress.tunnel(d.index(), d.mac(), mac, d.mtu(), Net.ipv4(from), Net.ipv4(to));
    }

    private static String unanswered(RealServer s, InetAddress hop, String device, long timeoutMillis) {
        String ip = s.address().address().getHostAddress();
        String answer = hop instanceof Inet4Address ? "no ARP reply" : "no neighbour advertisement";
        if (hop.equals(s.address().address())) {
            return "MAC address of " + ip + " not resolved on " + device + " (" + answer + " within " + timeoutMillis
                    + " ms): is the real server up and on the director's L2 segment?";
        }
        return "MAC address of " + hop.getHostAddress() + ", the next hop to " + ip + ", not resolved on " + device
                + " (" + answer + " within " + timeoutMillis + " ms): is the router up?";
    }

    /**
     * The checked route of a server; null with {@code why[0]} null for a server on this director (local node),
     * null with the reason in {@code why[0]} when it cannot be forwarded to.
     */
    private static Path path(RealServer s, Map<String, Optional<HostInterface>> devices, String[] why) {
        InetAddress ip = s.address().address();
        String server = s.forwarding().configName() + " real server " + s.address() + " of " + s.key().service();
        if (DrHost.isOwnAddress(ip)) {
            if (ip instanceof Inet6Address) {
                why[0] = server + " is this director: a server on the director itself is supported for IPv4"
                        + " only; use masq for it";
            }
            return null;
        }
        String[] noRoute = new String[1];
        Optional<KernelRoute> found = KernelRoute.lookup(ip, noRoute);
        if (found.isEmpty()) {
            why[0] = server + ": this director has no route to it (" + noRoute[0] + "): add one, or fix the address";
            return null;
        }
        KernelRoute route = found.get();
        if (route.local()) {
            return null; // an address of this host not seen by isOwnAddress (e.g. on lbd's own device)
        }
        Optional<HostInterface> device = devices.computeIfAbsent(route.device(), HostInterface::read);
        if (device.isEmpty() || !device.get().ethernet()) {
            why[0] = server + ": the route to it leaves on " + route.device() + ", which is not an Ethernet"
                    + " interface" + device.map(d -> " (link type " + d.type() + ")").orElse("") + ": direct"
                    + " routing sends Ethernet frames; route it over an Ethernet interface, or use masq";
            return null;
        }
        if (s.forwarding() == ForwardingMethod.GATE) {
            if (route.gateway().isPresent()) {
                why[0] = server + " is not on a network directly connected to this director (the route to it goes"
                        + " via " + route.gateway().get().getHostAddress() + " dev " + route.device() + "): use ipip"
                        + " for it, or connect the director to its network";
                return null;
            }
            return new Path(device.get(), ip, null);
        }
        boolean v6 = ip instanceof Inet6Address;
        Optional<InetAddress> source = route.source().or(() -> v6 ? Optional.empty() : ownIpv4(route.device()));
        if (source.isEmpty() || (source.get() instanceof Inet6Address) != v6) {
            why[0] = server + ": the route to it leaves on " + route.device() + ", which has no IPv" + (v6 ? 6 : 4)
                    + " address to send the tunnel from: give " + route.device() + " one";
            return null;
        }
        return new Path(device.get(), route.gateway().orElse(ip), source.get());
    }

    private static Optional<InetAddress> ownIpv4(String device) {
        int ip = DrHost.ownIpv4(device);
        return ip == 0 ? Optional.empty() : Optional.of(Net.inet4(ip));
    }

    private NeighbourResolver neighboursOn(HostInterface device) {
        return neighbours.computeIfAbsent(device.name(), k -> new NeighbourResolver(device.name(), device.index(),
                device.mac(), DrHost.ownIpv4(device.name())));
    }

    /** Announces on every ingress interface that this host now answers ARP for the VIP (gratuitous ARP). */
    public void announce(int vip) {
        for (String name : ingress) {
            neighbours.get(name).announce(vip);
        }
    }

    /** The same for an IPv6 VIP (unsolicited neighbour advertisement, after joining its solicited-node group). */
    public void announce(Inet6Address vip) {
        for (String name : ingress) {
            neighbours.get(name).announce(vip);
        }
    }

    @Override
    public void close() {
        neighbours.values().forEach(NeighbourResolver::close);
        neighbours.clear();
    }
}
