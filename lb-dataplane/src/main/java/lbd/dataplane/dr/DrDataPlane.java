package lbd.dataplane.dr;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.arp.NeighbourResolver;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The direct-routing data path: AF_PACKET sockets in one PACKET_FANOUT group on the DR interface, one worker
 * thread per socket, a BPF filter for the DR VIPs, ARP for the VIPs, and real-server MAC resolution.
 *
 * <p>Control-plane use (one thread, the one that called {@link #start}: the ARP socket's buffer is confined to
 * it): {@link #start}, then {@link #addService}/{@link #removeService} as the configuration changes,
 * {@link #setAnswering} for HA, {@link #resolveRealServers} after publishing a snapshot with new gate servers (its
 * result names the servers to hold down), {@link #close} to stop. Service tables come from the same
 * {@link SnapshotPublisher} as the NAT path; each worker owns a {@link WorkerState} over it.
 */
public final class DrDataPlane implements AutoCloseable {

    // Per worker: a 8 MiB TPACKET_V3 receive ring, about 4000 full-size frames of burst.
    private static final int RING_BLOCKS = 32;
    private static final int RING_BLOCK_SIZE = 1 << 18;

    private final String interfaceName;
    private final SnapshotPublisher publisher;
    private final NeighbourResolver neighbours;
    private final List<PacketSocket> sockets;
    private final List<DrWorker> workers;
    private final List<Thread> threads;
    private final List<DrStats> stats;
    private final long resolveTimeoutMillis;
    private final boolean answerArpByDefault;
    private final Map<Integer, Boolean> arpAnswering = new HashMap<>(); // control thread: setAnswering's word per VIP
    private volatile DrView view;

    private DrDataPlane(String interfaceName, SnapshotPublisher publisher, NeighbourResolver neighbours,
                        List<PacketSocket> sockets, List<DrWorker> workers, List<DrStats> stats,
                        long resolveTimeoutMillis, boolean answerArpByDefault, DrView view) {
        this.interfaceName = interfaceName;
        this.publisher = publisher;
        this.neighbours = neighbours;
        this.sockets = sockets;
        this.workers = workers;
        this.stats = stats;
        this.resolveTimeoutMillis = resolveTimeoutMillis;
        this.answerArpByDefault = answerArpByDefault;
        this.view = view;
        this.threads = new ArrayList<>();
    }

    /**
     * Checks the host, opens the sockets, resolves the real servers of the current snapshot, starts the
     * workers and announces the VIPs with gratuitous ARP.
     *
     * @param services the DR (gate) services, as keys of {@code publisher}'s tables
     * @throws DrStartupException with one line per problem and what to change, when the host is not ready
     */
    public static DrDataPlane start(DrOptions options, SnapshotPublisher publisher,
                                    Collection<VirtualServiceKey> services) {
        for (VirtualServiceKey key : services) {
            if (key.protocol() != Protocol.TCP || !key.address().isIpv4()) {
                throw new DrStartupException("DR service " + key + " is not TCP over IPv4; the DR data path of"
                        + " lbd forwards TCP/IPv4 only: use masq for it");
            }
        }
        for (VirtualServiceKey key : services) {
            ServiceTable t = publisher.current().service(key);
            if (t == null) {
                continue;
            }
            for (Destination d : t.destinations()) {
                if (d.address().port() != key.address().port()) {
                    throw new DrStartupException("real server " + d.address() + " of " + key + " uses port "
                            + d.address().port() + ", but direct routing cannot change ports: make it "
                            + key.address().port() + " or use masq");
                }
            }
        }
        String iface = options.interfaceName().orElseGet(() -> routeInterface(publisher.current(), services));
        Path sys = Path.of("/sys/class/net", iface);
        if (!Files.isDirectory(sys)) {
            throw new DrStartupException("interface " + iface + " does not exist (see 'ip link'); fix interface="
                    + " in the configuration");
        }
        Map<String, String> vipsHere = vipsOnThisHost(services);
        List<String> problems = DrStartupCheck.problems(iface, read("/proc/sys/net/ipv4/ip_forward"),
                read("/proc/sys/net/ipv4/conf/" + iface + "/forwarding"), vipsHere);
        if (!problems.isEmpty()) {
            throw new DrStartupException(String.join("\n", problems));
        }
        long mac = Net.parseMac(read(sys.resolve("address").toString()));
        int index = Integer.parseInt(read(sys.resolve("ifindex").toString()));
        DrView initial = buildView(services, Map.of(), vip -> options.answerArp());
        BpfFilter filter = BpfFilter.forVips(initial.vipArray());
        int group = (int) (ProcessHandle.current().pid() & 0xffff);

        NeighbourResolver neighbours = new NeighbourResolver(iface, index, mac, ownIpv4(iface));
        List<PacketSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < options.workers(); i++) {
                sockets.add(PacketSocket.open(iface, index, filter, group, true, RING_BLOCKS, RING_BLOCK_SIZE));
            }
        } catch (RuntimeException e) {
            sockets.forEach(PacketSocket::close);
            neighbours.close();
            throw e;
        }
        List<DrStats> stats = new ArrayList<>();
        List<DrWorker> workers = new ArrayList<>();
        DrDataPlane plane = new DrDataPlane(iface, publisher, neighbours, sockets, workers, stats,
                options.resolveTimeout().toMillis(), options.answerArp(), initial);
        for (int i = 0; i < options.workers(); i++) {
            DrStats s = new DrStats();
            stats.add(s);
            workers.add(new DrWorker(sockets.get(i), new WorkerState(publisher, i), plane::view, mac, s,
                    options.flowsPerWorker()));
        }
        try {
            plane.resolveRealServers();
        } catch (RuntimeException e) {
            plane.close();
            throw e;
        }
        for (int i = 0; i < workers.size(); i++) {
            Thread t = Thread.ofPlatform().name("lbd-dr-" + i).daemon(true).start(workers.get(i));
            plane.threads.add(t);
        }
        for (int vip : initial.vipArray()) {
            if (initial.answersArp(vip)) {
                neighbours.announce(vip);
            }
        }
        return plane;
    }

    /** True when every worker receives through a TPACKET_V3 memory-mapped ring (false: recvmsg fallback). */
    public boolean receivesThroughRings() {
        return sockets.stream().allMatch(PacketSocket::hasRing);
    }

    DrView view() {
        return view;
    }

    public String interfaceName() {
        return interfaceName;
    }

    /** Starts serving a DR service; a VIP new to lbd is added to the filter and announced. */
    public void addService(VirtualServiceKey key) {
        DrView v = view;
        Set<VirtualServiceKey> keys = new HashSet<>(v.services().values());
        keys.add(key);
        boolean newVip = !v.isVip(Net.ipv4(key.address().address().getAddress()));
        publishView(keys, v.macs());
        int vip = Net.ipv4(key.address().address().getAddress());
        if (newVip && view.answersArp(vip)) {
            neighbours.announce(vip);
        }
    }

    /**
     * The HA switch: whether lbd answers ARP for these VIPs (the active node) or leaves them alone (the backup,
     * whose peer answers). Starting to answer announces each VIP lbd serves with gratuitous ARP. The word
     * sticks to the address, also for a VIP that a later reload adds. Forwarding is not affected: a backup
     * receives no frames for the VIPs once its peer has announced them.
     */
    public void setAnswering(Collection<? extends InetAddress> vips, boolean answer) {
        for (InetAddress a : vips) {
            arpAnswering.put(Net.ipv4(a.getAddress()), answer);
        }
        DrView v = view;
        publishView(v.services().values(), v.macs());
        if (answer) {
            for (InetAddress a : vips) {
                int vip = Net.ipv4(a.getAddress());
                if (view.answersArp(vip)) {
                    neighbours.announce(vip);
                }
            }
        }
    }

    /** Stops serving a DR service; existing flows of it are dropped from then on. */
    public void removeService(VirtualServiceKey key) {
        DrView v = view;
        Set<VirtualServiceKey> keys = new HashSet<>(v.services().values());
        keys.remove(key);
        publishView(keys, v.macs());
    }

    private void publishView(Collection<VirtualServiceKey> keys, Map<InetAddress, Long> macs) {
        DrView next = buildView(keys, macs, vip -> arpAnswering.getOrDefault(vip, answerArpByDefault));
        BpfFilter filter = BpfFilter.forVips(next.vipArray());
        view = next;
        for (PacketSocket s : sockets) {
            s.attach(filter);
        }
    }

    /**
     * Resolves the MACs of every gate real server (and fallback) of the DR services in the current snapshot,
     * and publishes them to the workers.
     *
     * @return the real servers whose MAC could not be resolved, each with the reason: the director holds them
     *         down (weight 0 / out of the table) until a later call resolves them
     */
    public Map<RealServerKey, String> resolveRealServers() {
        DataPlaneSnapshot snapshot = publisher.current();
        List<RealServerKey> servers = new ArrayList<>();
        for (VirtualServiceKey key : view.services().values()) {
            ServiceTable t = snapshot.service(key);
            if (t == null) {
                continue;
            }
            List<Destination> all = new ArrayList<>(t.destinations());
            t.fallback().ifPresent(all::add);
            for (Destination d : all) {
                if (d.forwarding() == ForwardingMethod.GATE) {
                    servers.add(d.key());
                }
            }
        }
        return resolveRealServers(servers);
    }

    /**
     * As {@link #resolveRealServers()}, for the given gate real servers: the caller's list also reaches servers
     * that are not in the tables (e.g. left out while held down), so that they can come back.
     */
    public Map<RealServerKey, String> resolveRealServers(Collection<RealServerKey> servers) {
        Map<Integer, List<RealServerKey>> wanted = new LinkedHashMap<>();
        DrView v = view;
        for (RealServerKey s : servers) {
            if (s.address().isIpv4()) {
                wanted.computeIfAbsent(Net.ipv4(s.address().address().getAddress()), k -> new ArrayList<>()).add(s);
            }
        }
        Map<Integer, Long> found = neighbours.resolve(wanted.keySet(), resolveTimeoutMillis);
        Map<InetAddress, Long> macs = new HashMap<>(v.macs());
        Map<RealServerKey, String> unresolved = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        wanted.forEach((ip, atIp) -> {
            Long mac = found.get(ip);
            if (mac != null) {
                macs.put(toInet(ip), mac);
            } else {
                for (RealServerKey s : atIp) {
                    unresolved.put(s, "MAC address of " + Net.formatIpv4(ip) + " not resolved on " + interfaceName
                            + " (no ARP reply within " + resolveTimeoutMillis + " ms): is the real server up and on"
                            + " the director's L2 segment?");
                }
            }
        });
        publishView(v.services().values(), macs);
        return Collections.unmodifiableMap(unresolved);
    }

    /** Per-counter totals over the workers, by {@link DrStats#name}. */
    public Map<String, Long> stats() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int c = 0; c < DrStats.COUNT; c++) {
            long sum = 0;
            for (DrStats s : stats) {
                sum += s.get(c);
            }
            out.put(DrStats.name(c), sum);
        }
        return out;
    }

    /** The workers' states, for summing counters into listings. */
    public List<WorkerState> workerStates() {
        return workers.stream().map(DrWorker::state).toList();
    }

    @Override
    public void close() {
        workers.forEach(DrWorker::stop);
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sockets.forEach(PacketSocket::close);
        neighbours.close();
    }

    private static DrView buildView(Collection<VirtualServiceKey> keys, Map<InetAddress, Long> macs,
                                    IntPredicate answersArp) {
        Long2ObjectHashMap<VirtualServiceKey> services = new Long2ObjectHashMap<>();
        IntHashSet vips = new IntHashSet();
        IntHashSet silent = new IntHashSet();
        for (VirtualServiceKey k : keys) {
            int vip = Net.ipv4(k.address().address().getAddress());
            services.put(DrView.serviceKey(vip, k.address().port()), k);
            vips.add(vip);
            if (!answersArp.test(vip)) {
                silent.add(vip);
            }
        }
        return new DrView(services, vips, silent, macs);
    }

    private static InetAddress toInet(int ip) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8),
                (byte) ip});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).strip();
        } catch (IOException e) {
            throw new DrStartupException("cannot read " + path + ": " + e.getMessage());
        }
    }

    /** The director's VIPs that are configured on any of its interfaces: VIP to "dev/prefix". */
    private static Map<String, String> vipsOnThisHost(Collection<VirtualServiceKey> services) {
        Set<InetAddress> vips = new HashSet<>();
        services.forEach(k -> vips.add(k.address().address()));
        Map<String, String> out = new TreeMap<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InterfaceAddress a : nif.getInterfaceAddresses()) {
                    if (vips.contains(a.getAddress())) {
                        out.put(a.getAddress().getHostAddress(), nif.getName() + "/" + a.getNetworkPrefixLength());
                    }
                }
            }
        } catch (SocketException e) {
            throw new DrStartupException("cannot list this host's interfaces: " + e.getMessage());
        }
        return out;
    }

    private static int ownIpv4(String iface) {
        try {
            NetworkInterface nif = NetworkInterface.getByName(iface);
            if (nif != null) {
                for (InterfaceAddress a : nif.getInterfaceAddresses()) {
                    if (a.getAddress() instanceof Inet4Address v4) {
                        return Net.ipv4(v4.getAddress());
                    }
                }
            }
        } catch (SocketException e) {
            // fall through: ARP probes with sender 0.0.0.0 still resolve
        }
        return 0;
    }

    /** The interface of the route to the first gate real server ("ip route get"), as ldirectord's hosts do. */
    private static String routeInterface(DataPlaneSnapshot snapshot, Collection<VirtualServiceKey> services) {
        List<String> rips = new ArrayList<>();
        for (VirtualServiceKey key : services) {
            ServiceTable t = snapshot.service(key);
            if (t != null && !t.destinations().isEmpty()) {
                rips.add(t.destinations().getFirst().address().hostAddress());
            }
        }
        return interfaceReaching(rips);
    }

    /**
     * The interface of the route to the first of these real-server addresses ("ip route get"), for a caller
     * that knows the configured real servers while none is in the tables yet (all still unchecked).
     *
     * @throws DrStartupException when no route says
     */
    public static String interfaceReaching(List<String> realServerAddresses) {
        for (String rip : realServerAddresses) {
            try {
                Process p = new ProcessBuilder("ip", "-4", "route", "get", rip).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor(5, TimeUnit.SECONDS);
                String[] words = out.split("\\s+");
                for (int i = 0; i + 1 < words.length; i++) {
                    if (words[i].equals("dev")) {
                        return words[i + 1];
                    }
                }
            } catch (IOException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new DrStartupException("cannot tell which interface reaches the real servers; set interface= in"
                + " the configuration");
    }
}
