package lbd.director.ha;

import java.net.Inet4Address;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds the VIPs to their interface and removes them, as heartbeat's IPaddr resource does with
 * {@code ip addr add VIP/PREFIX brd + dev IF label IF:0} — here over rtnetlink, so a takeover does not wait for
 * a process to start. The NAT data plane's listeners are bound all along (IP_FREEBIND); traffic simply starts
 * arriving once the address is here.
 */
public final class IpAddressVipOwnership implements VipOwnership {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");

    private final List<ResolvedVip> vips;

    public IpAddressVipOwnership(List<ResolvedVip> vips) {
        this.vips = vips.stream().filter(v -> !v.directRouting()).toList();
        RtNetlink.prepare();
    }

    @Override
    public void acquire() {
        for (ResolvedVip v : vips) {
            String cidr = v.address().getHostAddress() + "/" + v.prefix();
            String label = v.interfaceName() + ":0";
            int errno;
            try {
                errno = RtNetlink.add(v.interfaceName(), v.address(), v.prefix(), broadcast(v),
                        label.length() <= 15 ? label : null);
            } catch (IllegalArgumentException e) {
                log.error("could not add VIP {}: {}", cidr, e.getMessage());
                continue;
            }
            if (errno == 0) {
                log.info("added VIP {} to {}", cidr, v.interfaceName());
            } else if (errno != RtNetlink.EEXIST) {
                log.error("could not add VIP {} to {}: {} (lbd needs root or CAP_NET_ADMIN to move VIPs)",
                        cidr, v.interfaceName(), RtNetlink.describe(errno));
            }
        }
    }

    @Override
    public void release() {
        for (ResolvedVip v : vips) {
            String cidr = v.address().getHostAddress() + "/" + v.prefix();
            int errno;
            try {
                errno = RtNetlink.delete(v.interfaceName(), v.address(), v.prefix());
            } catch (IllegalArgumentException e) {
                log.error("could not remove VIP {}: {}", cidr, e.getMessage());
                continue;
            }
            if (errno == 0) {
                log.info("removed VIP {} from {}", cidr, v.interfaceName());
            } else if (errno != RtNetlink.EADDRNOTAVAIL) {
                log.error("could not remove VIP {} from {}: {}", cidr, v.interfaceName(), RtNetlink.describe(errno));
            }
        }
    }

    /** The subnet's broadcast address, as {@code brd +} sets it (none for /31 and /32). */
    private static Inet4Address broadcast(ResolvedVip v) {
        if (v.prefix() >= 31) {
            return null;
        }
        return new InterfaceAddress(v.interfaceName(), v.address(), v.prefix(), Optional.empty()).broadcastOrDerived();
    }

    @Override
    public String describe() {
        return vips.stream().map(ResolvedVip::toString).collect(Collectors.joining(", "));
    }
}
