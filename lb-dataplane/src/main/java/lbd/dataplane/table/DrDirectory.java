package lbd.dataplane.table;

import java.net.Inet4Address;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.packet.Net;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * What the DR workers need besides the service tables, built by the control plane and published in the same
 * {@link DataPlaneSnapshot} (immutable after publication): which (VIP, port) pairs are gate services, and which
 * VIPs lbd answers ARP for. The real servers' MACs are in the tables ({@link Destination#mac()}).
 */
public final class DrDirectory {

    public static final DrDirectory EMPTY = new DrDirectory(new Long2ObjectHashMap<>(), new IntHashSet(),
            new IntHashSet());

    private final Long2ObjectHashMap<VirtualServiceKey> services;
    private final IntHashSet vips;
    private final IntHashSet silent;

    private DrDirectory(Long2ObjectHashMap<VirtualServiceKey> services, IntHashSet vips, IntHashSet silent) {
        this.services = services;
        this.vips = vips;
        this.silent = silent;
    }

    /**
     * @param gateServices the gate services (TCP over IPv4)
     * @param silentVips   VIPs lbd serves but does not answer ARP for (the backup node of an HA pair)
     */
    public static DrDirectory of(Collection<VirtualServiceKey> gateServices, Set<Inet4Address> silentVips) {
        Long2ObjectHashMap<VirtualServiceKey> services = new Long2ObjectHashMap<>();
        IntHashSet vips = new IntHashSet();
        IntHashSet silent = new IntHashSet();
        for (VirtualServiceKey k : gateServices) {
            int vip = Net.ipv4(k.address().address().getAddress());
            services.put(serviceKey(vip, k.address().port()), k);
            vips.add(vip);
            if (silentVips.contains(k.address().address())) {
                silent.add(vip);
            }
        }
        return new DrDirectory(services, vips, silent);
    }

    public static long serviceKey(int vip, int port) {
        return ((vip & 0xffffffffL) << 16) | (port & 0xffff);
    }

    /** The gate service at this VIP and port (host-order IPv4), or null. */
    public VirtualServiceKey service(int vip, int port) {
        return services.get(serviceKey(vip, port));
    }

    public boolean isVip(int ip) {
        return vips.contains(ip);
    }

    /** Whether lbd answers who-has for this address: a VIP it serves and has not been told to leave alone. */
    public boolean answersArp(int ip) {
        return vips.contains(ip) && !silent.contains(ip);
    }

    /** Every VIP, for comparing one directory's with the next (control plane, DR owner thread; allocates). */
    public Set<Integer> vipSet() {
        Set<Integer> out = new HashSet<>();
        for (int vip : vipArray()) {
            out.add(vip);
        }
        return Set.copyOf(out);
    }

    /** The VIPs lbd answers ARP for ({@link #answersArp}), to announce those that are new (allocates). */
    public Set<Integer> arpAnsweredVips() {
        Set<Integer> out = new HashSet<>();
        for (int vip : vipArray()) {
            if (answersArp(vip)) {
                out.add(vip);
            }
        }
        return Set.copyOf(out);
    }

    /** Every VIP, for the packet filter. */
    public int[] vipArray() {
        int[] out = new int[vips.size()];
        int i = 0;
        IntHashSet.IntIterator it = vips.iterator();
        while (it.hasNext()) {
            out[i++] = it.nextValue();
        }
        return out;
    }
}
