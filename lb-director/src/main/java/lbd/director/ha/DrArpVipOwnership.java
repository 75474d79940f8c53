package lbd.director.ha;

import java.net.Inet4Address;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Takes the DR VIPs by telling the DR data plane to answer (or stop answering) ARP for them. */
public final class DrArpVipOwnership implements VipOwnership {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");

    private final Set<Inet4Address> vips;
    private final DrArpControl control;

    public DrArpVipOwnership(List<ResolvedVip> all, DrArpControl control) {
        this.vips = all.stream().filter(ResolvedVip::directRouting).map(ResolvedVip::address).collect(Collectors.toUnmodifiableSet());
        this.control = control;
    }

    @Override
    public void acquire() {
        set(true);
    }

    @Override
    public void release() {
        set(false);
    }

    /** The new process's DR data plane answers ARP for the VIPs, as the old one's did. */
    @Override
    public void adopt() {
        set(true);
    }

    private void set(boolean answer) {
        if (vips.isEmpty()) {
            return;
        }
        try {
            control.answerArp(vips, answer);
        } catch (RuntimeException e) {
            log.error("the DR data plane could not {} answering ARP for {}: {}", answer ? "start" : "stop", describe(), e.getMessage());
        }
    }

    @Override
    public String describe() {
        return vips.stream().map(Inet4Address::getHostAddress).sorted().collect(Collectors.joining(", "));
    }
}
