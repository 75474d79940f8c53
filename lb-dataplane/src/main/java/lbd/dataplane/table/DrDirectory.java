package lbd.dataplane.table;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.packet.Net;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * What the DR workers need besides the service tables, built by the control plane and published in the same
 * {@link DataPlaneSnapshot} (immutable after publication): which (protocol, VIP, port) triples are gate services, and which
 * VIPs lbd answers ARP (IPv4) or neighbour solicitations (IPv6) for. The real servers' MACs are in the tables ({@link Destination#mac()}).
 */
public final class DrDirectory {

    public static final DrDirectory EMPTY = of(List.of(), Set.of());

    private final Long2ObjectHashMap<VirtualServiceKey> services;
    private final IntHashSet vips;
    private final IntHashSet silent;
    // IPv6 VIPs, numbered by their index here (the flow table's key holds the number).
    private final long[] vip6High;
    private final long[] vip6Low;
    private final boolean[] vip6Silent;
    private final Inet6Address[] vip6Addresses;
    private final Long2ObjectHashMap<VirtualServiceKey> services6;
    private final boolean schedulesMidFlow;

    private DrDirectory(Long2ObjectHashMap<VirtualServiceKey> services, IntHashSet vips, IntHashSet silent,
                        List<Inet6Address> vip6, Set<? extends InetAddress> silentVips,
                        Long2ObjectHashMap<VirtualServiceKey> services6, boolean schedulesMidFlow) {
        this.schedulesMidFlow = schedulesMidFlow;
        this.services = services;
        this.vips = vips;
        this.silent = silent;
        this.services6 = services6;
        int n = vip6.size();
        vip6High = new long[n];
        vip6Low = new long[n];
        vip6Silent = new boolean[n];
        vip6Addresses = vip6.toArray(Inet6Address[]::new);
        for (int i = 0; i < n; i++) {
            byte[] a = vip6.get(i).getAddress();
            vip6High[i] = Net.ipv6Half(a, 0);
            vip6Low[i] = Net.ipv6Half(a, 1);
            vip6Silent[i] = silentVips.contains(vip6.get(i));
        }
    }

    /**
     * @param gateServices the gate services (TCP or UDP over IPv4 or IPv6)
     * @param silentVips   VIPs lbd serves but does not answer ARP (or neighbour solicitations) for (the backup
     *                     node of an HA pair)
     */
    public static DrDirectory of(Collection<VirtualServiceKey> gateServices, Set<? extends InetAddress> silentVips) {
        return of(gateServices, silentVips, false);
    }

    /**
     * As above; {@code schedulesMidFlow} (sloppytcp=yes, IPVS's sloppy_tcp): a packet of a connection the workers
     * do not know that is not a SYN is scheduled as a new connection instead of dropped.
     */
    public static DrDirectory of(Collection<VirtualServiceKey> gateServices, Set<? extends InetAddress> silentVips,
                                 boolean schedulesMidFlow) {
        Long2ObjectHashMap<VirtualServiceKey> services = new Long2ObjectHashMap<>();
        Long2ObjectHashMap<VirtualServiceKey> services6 = new Long2ObjectHashMap<>();
        IntHashSet vips = new IntHashSet();
        IntHashSet silent = new IntHashSet();
        List<Inet6Address> vip6 = new ArrayList<>();
        for (VirtualServiceKey k : gateServices) {
            if (k.address().address() instanceof Inet6Address v6) {
                int number = vip6.indexOf(v6);
                if (number < 0) {
                    number = vip6.size();
                    vip6.add(v6);
                }
                services6.put(serviceKey(number, k.address().port(), k.protocol() == Protocol.UDP), k);
                continue;
            }
            int vip = Net.ipv4(k.address().address().getAddress());
            services.put(serviceKey(vip, k.address().port(), k.protocol() == Protocol.UDP), k);
            vips.add(vip);
            if (silentVips.contains(k.address().address())) {
                silent.add(vip);
            }
        }
        return new DrDirectory(services, vips, silent, vip6, silentVips, services6, schedulesMidFlow);
    }

    /** Whether a mid-flow packet of an unknown connection is scheduled (sloppytcp=yes) rather than dropped. */
    public boolean schedulesMidFlow() {
        return schedulesMidFlow;
    }

    /** The number of this IPv6 VIP (its index), or -1 when it is none of the DR VIPs. No allocation. */
    public int vip6Number(long high, long low) {
        for (int i = 0; i < vip6High.length; i++) {
            if (vip6Low[i] == low && vip6High[i] == high) {
                return i;
            }
        }
        return -1;
    }

    /** The TCP gate service at the IPv6 VIP numbered {@code number} and this port, or null. */
    public VirtualServiceKey service6(int number, int port) {
        return service6(number, port, false);
    }

    /** The TCP or ({@code udp}) UDP gate service at the IPv6 VIP numbered {@code number} and this port, or null. */
    public VirtualServiceKey service6(int number, int port, boolean udp) {
        return number < 0 ? null : services6.get(serviceKey(number, port, udp));
    }

    /** Whether lbd answers neighbour solicitations for the IPv6 VIP numbered {@code number}. */
    public boolean answersNd(int number) {
        return number >= 0 && !vip6Silent[number];
    }

    /** Every IPv6 VIP (allocates; control plane, DR owner thread). */
    public Set<Inet6Address> vip6Set() {
        return Set.of(vip6Addresses);
    }

    /** The IPv6 VIPs lbd answers neighbour solicitations for, to announce those that are new (allocates). */
    public Set<Inet6Address> ndAnsweredVips() {
        Set<Inet6Address> out = new HashSet<>();
        for (int i = 0; i < vip6Addresses.length; i++) {
            if (!vip6Silent[i]) {
                out.add(vip6Addresses[i]);
            }
        }
        return Set.copyOf(out);
    }

    /** The IPv6 VIPs as (high, low) pairs, for the packet filter. */
    public long[] vip6Array() {
        long[] out = new long[2 * vip6High.length];
        for (int i = 0; i < vip6High.length; i++) {
            out[2 * i] = vip6High[i];
            out[2 * i + 1] = vip6Low[i];
        }
        return out;
    }

    /** A (VIP or VIP number, port, protocol) as one long: 32 bits, 16 bits, and bit 48 for UDP. */
    public static long serviceKey(int vip, int port, boolean udp) {
        return (udp ? 1L << 48 : 0) | ((vip & 0xffffffffL) << 16) | (port & 0xffff);
    }

    /** The TCP gate service at this VIP and port (host-order IPv4), or null. */
    public VirtualServiceKey service(int vip, int port) {
        return service(vip, port, false);
    }

    /** The TCP or ({@code udp}) UDP gate service at this VIP and port (host-order IPv4), or null. */
    public VirtualServiceKey service(int vip, int port, boolean udp) {
        return services.get(serviceKey(vip, port, udp));
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
