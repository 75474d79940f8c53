package lbd.director.ha;

import java.net.Inet4Address;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import lbd.director.dr.GratuitousArp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acquires through its delegates, then announces every VIP with gratuitous ARPs — several, spaced, as
 * heartbeat's send_arp — on a virtual thread so that the HA thread keeps its heartbeat rhythm. Releasing stops
 * an announcement still in progress.
 */
public final class AnnouncedVipOwnership implements VipOwnership {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");

    /** resource-agents' IPaddr2 defaults: 5 announcements 200 ms apart. */
    public static final int DEFAULT_COUNT = 5;
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(200);

    private final List<VipOwnership> delegates;
    private final Map<String, List<Inet4Address>> byInterface = new LinkedHashMap<>();
    private final int count;
    private final Duration interval;
    private Thread announcer;

    public AnnouncedVipOwnership(List<VipOwnership> delegates, List<ResolvedVip> vips, int count, Duration interval) {
        this.delegates = List.copyOf(delegates);
        for (ResolvedVip v : vips) {
            byInterface.computeIfAbsent(v.interfaceName(), k -> new java.util.ArrayList<>()).add(v.address());
        }
        this.count = count;
        this.interval = interval;
        GratuitousArp.prepare();
    }

    @Override
    public void acquire() {
        delegates.forEach(VipOwnership::acquire);
        startAnnouncing();
    }

    /** What a delegate put back is announced again, as at a takeover. */
    @Override
    public boolean keep() {
        boolean added = false;
        for (VipOwnership d : delegates) {
            added |= d.keep();
        }
        if (added) {
            startAnnouncing();
        }
        return added;
    }

    /** No announcement: the neighbours' caches point at this host already. */
    @Override
    public void adopt() {
        delegates.forEach(VipOwnership::adopt);
    }

    @Override
    public void release() {
        stopAnnouncing();
        delegates.forEach(VipOwnership::release);
    }

    /** Announces every VIP from now on, in place of an announcement still in progress. */
    private void startAnnouncing() {
        stopAnnouncing();
        announcer = Thread.ofVirtual().name("lbd-ha-garp").start(this::announce);
    }

    private void stopAnnouncing() {
        if (announcer != null) {
            announcer.interrupt();
            announcer = null;
        }
    }

    private void announce() {
        for (int i = 0; i < count && !Thread.currentThread().isInterrupted(); i++) {
            for (Map.Entry<String, List<Inet4Address>> e : byInterface.entrySet()) {
                try {
                    GratuitousArp.announce(e.getKey(), e.getValue());
                } catch (GratuitousArp.GratuitousArpException ex) {
                    log.error("gratuitous ARP: {}; neighbours will find the VIP when their ARP entries expire", ex.getMessage());
                    return;
                }
            }
            if (i == 0) {
                log.info("announcing {} with {} gratuitous ARPs {} ms apart", describe(), count, interval.toMillis());
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException ex) {
                return;
            }
        }
    }

    @Override
    public String describe() {
        return byInterface.entrySet().stream()
                .map(e -> e.getValue().stream().map(Inet4Address::getHostAddress).collect(Collectors.joining(", ")) + " on " + e.getKey())
                .collect(Collectors.joining("; "));
    }
}
