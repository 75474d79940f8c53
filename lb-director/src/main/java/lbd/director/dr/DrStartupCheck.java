package lbd.director.dr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What must hold before lbd takes over a DR VIP, each failure with the exact change that fixes it:
 * the director must not forward IPv4 (or the kernel would forward the VIP's frames too, and every packet
 * would reach the real server twice), and no DR VIP may be configured on the director (or the kernel's own
 * TCP stack would answer the clients with resets, and would answer ARP for it itself).
 */
final class DrStartupCheck {

    private DrStartupCheck() {
    }

    /**
     * @param ipForward           the value of net.ipv4.ip_forward
     * @param interfaceForwarding each ingress interface's net.ipv4.conf.IFACE.forwarding, by name
     * @param vipsOnThisHost      DR VIPs found on this host's interfaces: VIP to "dev/prefix" (e.g. "eth0/24")
     * @return the problems, one operator-facing line each; empty when lbd may start
     */
    static List<String> problems(String ipForward, Map<String, String> interfaceForwarding,
                                 Map<String, String> vipsOnThisHost) {
        List<String> out = new ArrayList<>(forwardingProblems(ipForward, interfaceForwarding));
        out.addAll(vipProblems(vipsOnThisHost));
        return out;
    }

    /** The IPv4 forwarding settings: globally and on each interface lbd receives on (by name). */
    static List<String> forwardingProblems(String ipForward, Map<String, String> interfaceForwarding) {
        List<String> out = new ArrayList<>();
        if (!"0".equals(ipForward.strip())) {
            out.add("net.ipv4.ip_forward is " + ipForward.strip() + " but must be 0 for direct routing: run "
                    + "'sysctl -w net.ipv4.ip_forward=0' and set 'net.ipv4.ip_forward = 0' in /etc/sysctl.conf");
        }
        interfaceForwarding.forEach((name, value) -> {
            if (!"0".equals(value.strip())) {
                out.add("net.ipv4.conf." + name + ".forwarding is " + value.strip()
                        + " but must be 0 for direct routing: run 'sysctl -w net.ipv4.conf." + name + ".forwarding=0'");
            }
        });
        return out;
    }

    /** A DR VIP configured on one of the director's own interfaces (VIP to "DEV/PREFIX"): one line each. */
    static List<String> vipProblems(Map<String, String> vipsOnThisHost) {
        List<String> out = new ArrayList<>();
        vipsOnThisHost.forEach((vip, where) -> {
            String[] devPrefix = where.split("/", 2);
            out.add("DR VIP " + vip + " is configured on " + devPrefix[0] + " of this director, but lbd answers"
                    + " ARP for it itself: remove it with 'ip addr del " + vip + "/" + devPrefix[1] + " dev "
                    + devPrefix[0] + "' (and from the interface's configuration, e.g. ifcfg-" + devPrefix[0]
                    + ":0)");
        });
        return out;
    }

    /**
     * The same for an IPv6 service: the director must not forward IPv6 either.
     *
     * @param allForwarding       the value of net.ipv6.conf.all.forwarding
     * @param interfaceForwarding each ingress interface's net.ipv6.conf.IFACE.forwarding, by name
     */
    static List<String> ipv6Problems(String allForwarding, Map<String, String> interfaceForwarding) {
        List<String> out = new ArrayList<>();
        if (!"0".equals(allForwarding.strip())) {
            out.add("net.ipv6.conf.all.forwarding is " + allForwarding.strip() + " but must be 0 for direct routing"
                    + " over IPv6: run 'sysctl -w net.ipv6.conf.all.forwarding=0' and set"
                    + " 'net.ipv6.conf.all.forwarding = 0' in /etc/sysctl.conf");
        }
        interfaceForwarding.forEach((name, value) -> {
            if (!"0".equals(value.strip())) {
                out.add("net.ipv6.conf." + name + ".forwarding is " + value.strip()
                        + " but must be 0 for direct routing over IPv6: run 'sysctl -w net.ipv6.conf." + name
                        + ".forwarding=0'");
            }
        });
        return out;
    }
}
