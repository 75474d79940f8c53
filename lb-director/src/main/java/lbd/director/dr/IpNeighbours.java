package lbd.director.dr;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lbd.dataplane.dr.packet.Net;
import lbd.director.ha.IpCommand;

/**
 * The kernel's IPv6 neighbour table (what neighbour discovery learnt) as {@code ip -6 neigh show dev IFACE} prints
 * it, for the interface: the IPv6 analogue of {@link ProcNetArp} (IPv6 has no /proc/net/arp).
 */
public final class IpNeighbours {

    private IpNeighbours() {
    }

    /** Usable entries on the interface: address to MAC. Empty when {@code ip} cannot be run. */
    public static Map<InetAddress, Long> read(String interfaceName) {
        IpCommand.Result r = IpCommand.run("-6", "neigh", "show", "dev", interfaceName);
        return r.ok() ? parse(r.output().lines().toList()) : Map.of();
    }

    /**
     * Lines such as {@code fd00:198:18::62 lladdr 02:00:00:00:00:62 REACHABLE}; entries without a link-layer
     * address (INCOMPLETE, FAILED) are left out: the neighbour did not answer.
     */
    static Map<InetAddress, Long> parse(List<String> lines) {
        Map<InetAddress, Long> out = new HashMap<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 3 || !f[1].equals("lladdr") || line.contains("FAILED") || line.contains("INCOMPLETE")) {
                continue;
            }
            try {
                long mac = Net.parseMac(f[2]);
                if (mac != 0 && f[0].indexOf(':') >= 0) {
                    out.put(InetAddress.getByName(f[0]), mac); // a literal: no name lookup
                }
            } catch (RuntimeException | UnknownHostException malformed) {
                // a line we do not understand is not a neighbour we can use
            }
        }
        return out;
    }
}
