package lbd.director.dr;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import lbd.config.model.VirtualServiceKey;
import lbd.director.host.ProcValue;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.DrStartupException;
import lbd.dataplane.dr.packet.Net;

/**
 * What the control plane reads off the host before direct routing starts, so that the data plane reads
 * nothing: the interfaces to receive VIP traffic on (those {@code interface=} lists, else every one that can:
 * up, Ethernet, not a port of a bond or bridge — VLAN interfaces included), each one's index and MAC
 * (/sys/class/net), that the director forwards neither IPv4 on them (nor IPv6, with an IPv6 service) and holds
 * none of the DR VIPs itself ({@link DrStartupCheck}). Where each real server's packets leave is
 * {@link EgressResolver}'s business.
 */
public final class DrHost {

    private DrHost() {
    }

    /**
     * @param configured {@code interface=}'s names; empty: every interface that can receive
     * @param services   the DR services
     * @return the interfaces to receive on, in a stable order
     * @throws DrStartupException with one line per problem and what to change, when the host is not ready
     */
    public static List<DrInterface> probe(List<String> configured, Collection<VirtualServiceKey> services) {
        List<String> problems = new ArrayList<>();
        List<HostInterface> ingress = new ArrayList<>();
        if (configured.isEmpty()) {
            for (HostInterface i : HostInterface.all()) {
                if (i.up() && i.ethernet() && i.master().isEmpty() && !i.name().equals(LocalNode.DEVICE)) {
                    ingress.add(i);
                }
            }
            if (ingress.isEmpty()) {
                problems.add("direct routing finds no interface to receive on (none is up, Ethernet and not a port"
                        + " of a bond or bridge): bring one up, or name it with interface=");
            }
        } else {
            for (String name : configured) {
                HostInterface i = HostInterface.read(name).orElse(null);
                String problem = i == null ? "interface " + name + " does not exist (see 'ip link'); fix interface="
                        + " in the configuration" : ingressProblem(i);
                if (problem != null) {
                    problems.add(problem);
                } else {
                    ingress.add(i);
                }
            }
        }
        problems.addAll(DrStartupCheck.vipProblems(vipsOnThisHost(services)));
        problems.addAll(unroutedIpv6Vips(services));
        if (!ingress.isEmpty()) {
            problems.addAll(DrStartupCheck.forwardingProblems(read("/proc/sys/net/ipv4/ip_forward"),
                    forwarding(ingress, "ipv4")));
            if (services.stream().anyMatch(k -> !k.address().isIpv4())) {
                problems.addAll(DrStartupCheck.ipv6Problems(read("/proc/sys/net/ipv6/conf/all/forwarding"),
                        forwarding(ingress, "ipv6")));
            }
        }
        if (!problems.isEmpty()) {
            throw new DrStartupException(String.join("\n", problems));
        }
        return ingress.stream().map(HostInterface::toDrInterface).toList();
    }

    /**
     * IPv6 VIPs for which this director has no route at all. IPv4 drops a packet it does not forward in silence;
     * IPv6 answers one it has no route for with ICMPv6 "no route to destination" (ip6_pkt_discard) whether it
     * forwards or not, and the client's connect fails on it before lbd's forwarded SYN is answered.
     */
    private static List<String> unroutedIpv6Vips(Collection<VirtualServiceKey> services) {
        List<String> out = new ArrayList<>();
        Set<InetAddress> seen = new HashSet<>();
        for (VirtualServiceKey k : services) {
            InetAddress vip = k.address().address();
            if (!k.address().isIpv4() && seen.add(vip) && KernelRoute.lookup(vip, new String[1]).isEmpty()) {
                out.add("IPv6 VIP " + vip.getHostAddress() + " has no route on this director, so its kernel would"
                        + " answer the clients' packets with ICMPv6 'no route' beside lbd: add a default route, or"
                        + " 'ip -6 route add blackhole " + vip.getHostAddress() + "'");
            }
        }
        return out;
    }

    /** Why interface= may not name this interface, or null when it may. */
    static String ingressProblem(HostInterface i) {
        if (i.master().isPresent()) {
            return "interface " + i.name() + " is a port of " + i.master().get() + ", whose frames lbd receives on "
                    + i.master().get() + ": name " + i.master().get() + " in interface= instead of " + i.name();
        }
        if (!i.ethernet()) {
            return "interface " + i.name() + " is not an Ethernet interface (link type " + i.type() + "): direct"
                    + " routing receives and sends Ethernet frames; remove it from interface=";
        }
        if (!i.up()) {
            return "interface " + i.name() + " is down: bring it up ('ip link set " + i.name() + " up') or remove it"
                    + " from interface=";
        }
        return null;
    }

    /** Each interface's net.FAMILY.conf.IFACE.forwarding, by name (a missing file reads as "0"). */
    private static Map<String, String> forwarding(List<HostInterface> interfaces, String family) {
        Map<String, String> out = new TreeMap<>();
        for (HostInterface i : interfaces) {
            Path p = Path.of("/proc/sys/net", family, "conf", i.name(), "forwarding");
            out.put(i.name(), Files.exists(p) ? read(p.toString()) : "0");
        }
        return out;
    }

    /** The director's IPv4 address on the interface (sender of ARP requests), 0 when it has none. */
    public static int ownIpv4(String iface) {
        try {
            NetworkInterface nif = NetworkInterface.getByName(iface);
            if (nif != null) {
                for (InterfaceAddress a : nif.getInterfaceAddresses()) {
                    if (a.getAddress() instanceof Inet4Address v4) {
                        return Net.ipv4(v4.getAddress());
                    }
                }
            }
        } catch (SocketException e) {
            // fall through: ARP probes with sender 0.0.0.0 still resolve
        }
        return 0;
    }

    /**
     * Whether a gate destination's address is this director's own (IPVS asks the same of a destination: a
     * {@code local} route): a loopback address or an address of one of its interfaces other than
     * {@link LocalNode#DEVICE} (which holds the VIPs for local delivery).
     */
    public static boolean isOwnAddress(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        try {
            NetworkInterface nif = NetworkInterface.getByInetAddress(address);
            return nif != null && !nif.getName().equals(LocalNode.DEVICE);
        } catch (SocketException e) {
            return false;
        }
    }

    private static String read(String path) {
        try {
            return ProcValue.read(Path.of(path));
        } catch (IOException e) {
            throw new DrStartupException("cannot read " + path + ": " + e.getMessage());
        }
    }

    /** The director's VIPs that are configured on any of its interfaces: VIP to "dev/prefix". */
    private static Map<String, String> vipsOnThisHost(Collection<VirtualServiceKey> services) {
        Set<InetAddress> vips = new HashSet<>();
        services.forEach(k -> vips.add(k.address().address()));
        Map<String, String> out = new TreeMap<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nif.getName().equals(LocalNode.DEVICE)) {
                    continue; // lbd's own device for local delivery holds the VIPs on purpose
                }
                for (InterfaceAddress a : nif.getInterfaceAddresses()) {
                    if (vips.contains(a.getAddress())) {
                        out.put(a.getAddress().getHostAddress(), nif.getName() + "/" + a.getNetworkPrefixLength());
                    }
                }
            }
        } catch (SocketException e) {
            throw new DrStartupException("cannot list this host's interfaces: " + e.getMessage());
        }
        return out;
    }
}
