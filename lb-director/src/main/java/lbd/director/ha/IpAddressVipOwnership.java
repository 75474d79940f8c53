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
    /** The VIPs whose last add failed (logged once until one works). HA thread only. */
    private final java.util.Set<ResolvedVip> failing = new java.util.HashSet<>();

    public IpAddressVipOwnership(List<ResolvedVip> vips) {
        this.vips = vips.stream().filter(v -> !v.directRouting()).toList();
        RtNetlink.prepare();
    }

    @Override
    public void acquire() {
        failing.clear();
        for (ResolvedVip v : vips) {
            if (add(v) == 0) {
                log.info("added VIP {} to {}", cidr(v), v.interfaceName());
            }
        }
    }

    /** Adds back a VIP whose address is no longer on its interface; a failure is logged once until it works. */
    @Override
    public boolean keep() {
        boolean added = false;
        for (ResolvedVip v : vips) {
            if (add(v) == 0) {
                log.warn("VIP {} was no longer on {} (removed by an ifdown or ip addr del?): added it again", cidr(v),
                        v.interfaceName());
                added = true;
            }
        }
        return added;
    }

    /**
     * rtnetlink's answer to adding {@code v} (0: added; EEXIST: it was there), -1 when the interface is unknown. A
     * failure is logged once, until an add works again.
     */
    private int add(ResolvedVip v) {
        String label = v.interfaceName() + ":0";
        int errno;
        String failure;
        try {
            errno = RtNetlink.add(v.interfaceName(), v.address(), v.prefix(), broadcast(v),
                    label.length() <= 15 ? label : null);
            failure = errno == 0 || errno == RtNetlink.EEXIST ? null
                    : "could not add VIP %s to %s: %s (lbd needs root or CAP_NET_ADMIN to move VIPs)"
                            .formatted(cidr(v), v.interfaceName(), RtNetlink.describe(errno));
        } catch (IllegalArgumentException e) {
            errno = -1;
            failure = "could not add VIP %s: %s".formatted(cidr(v), e.getMessage());
        }
        if (failure == null) {
            failing.remove(v);
        } else if (failing.add(v)) {
            log.error(failure);
        }
        return errno;
    }

    private static String cidr(ResolvedVip v) {
        return v.address().getHostAddress() + "/" + v.prefix();
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
