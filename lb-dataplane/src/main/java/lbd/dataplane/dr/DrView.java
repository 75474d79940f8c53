package lbd.dataplane.dr;

import java.net.InetAddress;
import java.util.Map;
import lbd.config.model.VirtualServiceKey;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * What the DR workers need besides the service tables, built by the control plane and published whole
 * (immutable after publication): which (VIP, port) pairs are DR services, which VIPs lbd answers ARP for,
 * and the MAC address of each real server.
 */
final class DrView {

    static final DrView EMPTY = new DrView(new Long2ObjectHashMap<>(), new IntHashSet(), new IntHashSet(), Map.of());

    private final Long2ObjectHashMap<VirtualServiceKey> services;
    private final IntHashSet vips;
    private final IntHashSet silent;
    private final Map<InetAddress, Long> macs;

    /** @param silent VIPs lbd serves but does not answer ARP for (the backup node of an HA pair) */
    DrView(Long2ObjectHashMap<VirtualServiceKey> services, IntHashSet vips, IntHashSet silent,
           Map<InetAddress, Long> macs) {
        this.services = services;
        this.vips = vips;
        this.silent = silent;
        this.macs = Map.copyOf(macs);
    }

    static long serviceKey(int vip, int port) {
        return ((vip & 0xffffffffL) << 16) | (port & 0xffff);
    }

    VirtualServiceKey service(int vip, int port) {
        return services.get(serviceKey(vip, port));
    }

    boolean isVip(int ip) {
        return vips.contains(ip);
    }

    /** Whether lbd answers who-has for this address: a VIP it serves and has not been told to leave alone. */
    boolean answersArp(int ip) {
        return vips.contains(ip) && !silent.contains(ip);
    }

    int[] vipArray() {
        int[] out = new int[vips.size()];
        int i = 0;
        IntHashSet.IntIterator it = vips.iterator();
        while (it.hasNext()) {
            out[i++] = it.nextValue();
        }
        return out;
    }

    /** The real server's MAC, or null while unresolved. */
    Long mac(InetAddress realServer) {
        return macs.get(realServer);
    }

    Map<InetAddress, Long> macs() {
        return macs;
    }

    Long2ObjectHashMap<VirtualServiceKey> services() {
        return services;
    }
}
