package lbd.director.dr;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import lbd.config.model.VirtualServiceKey;
import lbd.director.host.ProcValue;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.DrStartupException;
import lbd.dataplane.dr.packet.Net;

/**
 * What the control plane reads off the host before direct routing starts, so that the data plane reads
 * nothing: which interface reaches the real servers ({@code ip route get}, as ldirectord's hosts do), that it
 * exists, its MAC and index (/sys/class/net), that the director does not forward IPv4 (nor IPv6, with an IPv6
 * service) and holds none of the DR
 * VIPs itself ({@link DrStartupCheck}), and the director's own address on it (the sender of ARP requests).
 */
public final class DrHost {

    private DrHost() {
    }

    /**
     * @param configuredInterface {@code interface=} when set, else null: the route to the real servers decides
     * @param services            the gate services
     * @param realServerAddresses the configured gate real servers' addresses (dotted), for the route lookup
     * @throws DrStartupException with one line per problem and what to change, when the host is not ready
     */
    public static DrInterface probe(String configuredInterface, Collection<VirtualServiceKey> services,
            List<String> realServerAddresses) {
        String iface;
        try {
            iface = configuredInterface != null ? configuredInterface : interfaceReaching(realServerAddresses);
        } catch (DrStartupException noRoute) {
            // A VIP configured on this host comes first: it is what to fix, and it can be why the real servers'
            // routes lead to the director itself.
            List<String> vipProblems = DrStartupCheck.vipProblems(vipsOnThisHost(services));
            if (!vipProblems.isEmpty()) {
                throw new DrStartupException(String.join("\n", vipProblems));
            }
            throw noRoute;
        }
        Path sys = Path.of("/sys/class/net", iface);
        if (!Files.isDirectory(sys)) {
            throw new DrStartupException("interface " + iface + " does not exist (see 'ip link'); fix interface="
                    + " in the configuration");
        }
        List<String> problems = DrStartupCheck.problems(iface, read("/proc/sys/net/ipv4/ip_forward"),
                read("/proc/sys/net/ipv4/conf/" + iface + "/forwarding"), vipsOnThisHost(services));
        if (services.stream().anyMatch(k -> !k.address().isIpv4())) {
            problems = new java.util.ArrayList<>(problems);
            problems.addAll(DrStartupCheck.ipv6Problems(iface, read("/proc/sys/net/ipv6/conf/all/forwarding"),
                    read("/proc/sys/net/ipv6/conf/" + iface + "/forwarding")));
        }
        if (!problems.isEmpty()) {
            throw new DrStartupException(String.join("\n", problems));
        }
        long mac = Net.parseMac(read(sys.resolve("address").toString()));
        int index = Integer.parseInt(read(sys.resolve("ifindex").toString()));
        return new DrInterface(iface, index, mac);
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

    /**
     * The interface of the route to the first of these real-server addresses ("ip route get").
     *
     * @throws DrStartupException when no route says
     */
    static String interfaceReaching(List<String> realServerAddresses) {
        for (String rip : realServerAddresses) {
            try {
                Process p = new ProcessBuilder("ip", "route", "get", rip).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor(5, TimeUnit.SECONDS);
                String[] words = out.split("\\s+");
                for (int i = 0; i + 1 < words.length; i++) {
                    if (words[i].equals("dev") && !words[i + 1].equals("lo")) { // lo: a local destination
                        return words[i + 1];
                    }
                }
            } catch (IOException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new DrStartupException("cannot tell which interface reaches the real servers; set interface= in"
                + " the configuration");
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
