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
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.arp.NeighbourResolver;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;

/**
 * The direct-routing data path: AF_PACKET sockets in one PACKET_FANOUT group on the DR interface, one worker
 * thread per socket, a BPF filter for the DR VIPs, ARP for the VIPs, and real-server MAC resolution.
 *
 * <p>Everything the workers read comes from the control plane's {@link SnapshotPublisher}, the same as the NAT
 * path's: the service tables (with each gate server's MAC) and the {@link DrDirectory} (VIPs, ARP answering).
 * This class only acts on the host for it, from one thread (the one that called {@link #start}: the ARP socket's
 * buffer is confined to it): {@link #follow} after each publication (packet filter, gratuitous ARP),
 * {@link #resolve} for the control plane's MAC lookups, {@link #close} to stop.
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
    // Owner thread: the VIPs in the packet filter, and those announced and answered for (see follow).
    private Set<Integer> filtered;
    private Set<Integer> announced = Set.of();

    private DrDataPlane(String interfaceName, SnapshotPublisher publisher, NeighbourResolver neighbours,
                        List<PacketSocket> sockets, List<DrWorker> workers, List<DrStats> stats,
                        long resolveTimeoutMillis, Set<Integer> filtered) {
        this.interfaceName = interfaceName;
        this.publisher = publisher;
        this.neighbours = neighbours;
        this.sockets = sockets;
        this.workers = workers;
        this.stats = stats;
        this.resolveTimeoutMillis = resolveTimeoutMillis;
        this.filtered = filtered;
        this.threads = new ArrayList<>();
    }

    /**
     * Checks the host, opens the sockets with a filter for the services' VIPs and starts the workers. Nothing is
     * announced yet: {@link #follow} does, once a snapshot says lbd answers for a VIP.
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
        Set<Integer> vips = new HashSet<>();
        services.forEach(k -> vips.add(Net.ipv4(k.address().address().getAddress())));
        BpfFilter filter = BpfFilter.forVips(toArray(vips));
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
                options.resolveTimeout().toMillis(), Set.copyOf(vips));
        for (int i = 0; i < options.workers(); i++) {
            DrStats s = new DrStats();
            stats.add(s);
            workers.add(new DrWorker(sockets.get(i), new WorkerState(publisher, i), publisher, mac, s,
                    options.flowsPerWorker()));
        }
        for (int i = 0; i < workers.size(); i++) {
            Thread t = Thread.ofPlatform().name("lbd-dr-" + i).daemon(true).start(workers.get(i));
            plane.threads.add(t);
        }
        return plane;
    }

    /** True when every worker receives through a TPACKET_V3 memory-mapped ring (false: recvmsg fallback). */
    public boolean receivesThroughRings() {
        return sockets.stream().allMatch(PacketSocket::hasRing);
    }

    public String interfaceName() {
        return interfaceName;
    }

    /**
     * After each publication (owner thread): the packet filter follows the directory's VIPs, and each VIP lbd now
     * answers ARP for, that it did not before (new, or HA made this node active), is announced with gratuitous
     * ARP so that neighbours update their caches.
     */
    public void follow(DrDirectory directory) {
        int[] vips = directory.vipArray();
        Set<Integer> now = new HashSet<>();
        for (int vip : vips) {
            now.add(vip);
        }
        if (!now.equals(filtered)) {
            BpfFilter filter = BpfFilter.forVips(vips);
            for (PacketSocket s : sockets) {
                s.attach(filter);
            }
            filtered = Set.copyOf(now);
        }
        Set<Integer> answering = new HashSet<>();
        for (int vip : vips) {
            if (directory.answersArp(vip)) {
                answering.add(vip);
                if (!announced.contains(vip)) {
                    neighbours.announce(vip);
                }
            }
        }
        announced = Set.copyOf(answering);
    }

    /** What {@link #resolve} found: each server's MAC, or why not. */
    public record Resolution(Map<RealServerKey, Long> macs, Map<RealServerKey, String> unresolved) {
        public Resolution {
            macs = Map.copyOf(macs);
            unresolved = Map.copyOf(unresolved);
        }
    }

    /**
     * Resolves the MACs of these gate real servers (owner thread; may wait up to the resolve timeout): from the
     * kernel's neighbour table, else by ARP. The control plane puts the MACs into the tables and holds down the
     * servers left unresolved until a later call finds them.
     */
    public Resolution resolve(Collection<RealServerKey> servers) {
        Map<Integer, List<RealServerKey>> wanted = new LinkedHashMap<>();
        for (RealServerKey s : servers) {
            if (s.address().isIpv4()) {
                wanted.computeIfAbsent(Net.ipv4(s.address().address().getAddress()), k -> new ArrayList<>()).add(s);
            }
        }
        Map<Integer, Long> found = neighbours.resolve(wanted.keySet(), resolveTimeoutMillis);
        Map<RealServerKey, Long> macs = new HashMap<>();
        Map<RealServerKey, String> unresolved = new HashMap<>();
        wanted.forEach((ip, atIp) -> {
            Long mac = found.get(ip);
            for (RealServerKey s : atIp) {
                if (mac != null) {
                    macs.put(s, mac);
                } else {
                    unresolved.put(s, "MAC address of " + Net.formatIpv4(ip) + " not resolved on " + interfaceName
                            + " (no ARP reply within " + resolveTimeoutMillis + " ms): is the real server up and on"
                            + " the director's L2 segment?");
                }
            }
        });
        return new Resolution(macs, unresolved);
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

    private static int[] toArray(Set<Integer> vips) {
        int[] out = new int[vips.size()];
        int i = 0;
        for (int vip : vips) {
            out[i++] = vip;
        }
        return out;
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
