package lbd.director.ha;

import java.net.Inet4Address;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A VIP of haresources with its interface and prefix settled.
 *
 * @param directRouting true for the VIP of a gate (DR) service: the DR data plane answers ARP for it and it is not
 *                      added to the interface; false: it is added to the interface (masq services)
 */
public record ResolvedVip(Inet4Address address, int prefix, String interfaceName, boolean directRouting) {

    public ResolvedVip {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(interfaceName, "interfaceName");
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefix + " on " + interfaceName + (directRouting ? " (direct routing)" : "");
    }

    /**
     * Settles each VIP: the prefix and interface written in haresources, else those of the configured address
     * whose subnet holds the VIP (heartbeat's IPaddr does the same from the routing table).
     *
     * @param drVips VIPs of gate services
     * @param addresses the addresses configured on this node now
     */
    static List<ResolvedVip> resolve(List<VipResource> vips, Set<Inet4Address> drVips, List<InterfaceAddress> addresses) {
        return vips.stream().map(v -> {
            InterfaceAddress subnet = addresses.stream()
                    .filter(a -> !a.address().equals(v.address()) && a.contains(v.address()))
                    .filter(a -> v.interfaceName().isEmpty() || v.interfaceName().get().equals(a.interfaceName()))
                    .findFirst().orElse(null);
            String ifname = v.interfaceName().orElse(subnet == null ? null : subnet.interfaceName());
            Integer prefix = v.prefix().isPresent() ? Integer.valueOf(v.prefix().getAsInt()) : subnet == null ? null : subnet.prefix();
            if (ifname == null || prefix == null) {
                throw new HaConfigException("haresources: no interface here has a subnet holding " + v.address().getHostAddress()
                        + "; write it as IPaddr::" + v.address().getHostAddress() + "/PREFIX/INTERFACE");
            }
            return new ResolvedVip(v.address(), prefix, ifname, drVips.contains(v.address()));
        }).toList();
    }
}
