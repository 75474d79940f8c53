package lbd.director.ha;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import lbd.director.host.ProcValue;
import lbd.config.model.ClusterConfig;
import lbd.config.model.VirtualService;
import lbd.director.unix.SeqPacketSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts an {@link HaNode} together for {@code lbd --config FILE --ha DIR [--ha-node NAME]}: reads DIR's ha.cf,
 * authkeys and haresources, settles each VIP's interface and prefix, works out where heartbeats go, and starts
 * the node as backup. Every configuration problem surfaces here, before anything is changed on the host.
 */
public final class HaLauncher {

    private static final Logger log = LoggerFactory.getLogger("lbd.ha");

    private HaLauncher() {
    }

    /**
     * @param nodeName this node's name, or null for {@code uname -n}
     * @param drArp    the DR data plane's ARP switch (used when haresources carries the VIP of a gate service)
     * @throws HaConfigException with operator-facing lines when the configuration cannot be used
     */
    public static HaNode start(Path dir, String nodeName, ClusterConfig cluster, DrArpControl drArp) {
        return start(dir, nodeName, cluster, drArp, null);
    }

    /**
     * As above; with {@code drPlane} (the DR data path while one runs), the node also synchronises DR connections
     * with its peer ({@link ConnectionSync}).
     */
    public static HaNode start(Path dir, String nodeName, ClusterConfig cluster, DrArpControl drArp,
                               java.util.function.Supplier<lbd.dataplane.dr.DrDataPlane> drPlane) {
        return prepare(dir, nodeName, cluster, drArp, drPlane).start();
    }

    /**
     * Everything of the node but its socket and thread: the HA files read and checked, the VIPs resolved, the
     * heartbeat paths, the VIP ownership and the connection sync (with their keys) — the slow part of a start, which
     * {@code lbd upgrade}'s new process does before it serves, so that the node's hand-over, later, takes milliseconds
     * ({@link Prepared#continueFrom}). Changes nothing on the host.
     *
     * @throws HaConfigException with operator-facing lines when the configuration cannot be used
     */
    public static Prepared prepare(Path dir, String nodeName, ClusterConfig cluster, DrArpControl drArp,
                                   java.util.function.Supplier<lbd.dataplane.dr.DrDataPlane> drPlane) {
        HaConfig config = HaConfig.load(dir, nodeName != null ? nodeName : unameN());
        config.warnings().forEach(w -> log.warn("HA: {}", w));
        List<InterfaceAddress> addresses = InterfaceAddress.current();
        Set<Inet4Address> drVips = drVips(cluster);
        List<ResolvedVip> vips = ResolvedVip.resolve(config.resources().vips(), drVips, addresses);
        config.resources().ldirectordConfig().ifPresent(named -> cluster.source().ifPresent(running -> {
            if (!sameFile(named, running)) {
                log.warn("HA: haresources names ldirectord::{} but lbd runs {}; lbd serves the file given with --config", named, running);
            }
        }));
        List<SocketAddress> destinations = destinations(config, addresses);
        VipOwnership ownership = new AnnouncedVipOwnership(
                List.of(new IpAddressVipOwnership(vips), new DrArpVipOwnership(vips, drArp)), vips,
                AnnouncedVipOwnership.DEFAULT_COUNT, AnnouncedVipOwnership.DEFAULT_INTERVAL);
        ConnectionSync sync = drPlane == null ? null : new ConnectionSync(config, drPlane);
        return new Prepared(config, ownership, destinations, sync);
    }

    /** A node {@link #prepare}d: started afresh, or carried on from the process before. Used once. */
    public static final class Prepared {
        private final HaConfig config;
        private final VipOwnership ownership;
        private final List<SocketAddress> destinations;
        private final ConnectionSync sync;

        private Prepared(HaConfig config, VipOwnership ownership, List<SocketAddress> destinations,
                         ConnectionSync sync) {
            this.config = config;
            this.ownership = ownership;
            this.destinations = destinations;
            this.sync = sync;
        }

        /** Binds the heartbeat port and starts the node as backup ({@link HaNode#start}). */
        public HaNode start() {
            HaNode node = HaNode.start(config, ownership, destinations, sync);
            if (sync != null) {
                sync.start(node);
            }
            return node;
        }

        /**
         * {@code lbd upgrade}'s new process: the node carries on where the process before left it
         * ({@link HaNode#continueFrom}): same role, same VIPs in place, same heartbeat socket, runs and sequences.
         * The socket descriptor is this process's: closed here when the node cannot carry on.
         */
        public HaNode continueFrom(HaNode.HandedOver handedOver) {
            try {
                if (sync != null) {
                    sync.continueFrom(new PeerSync.Position(handedOver.state().syncGeneration(),
                            handedOver.state().syncSequence(), handedOver.state().peerSync()));
                }
                HaNode node = HaNode.continueFrom(config, ownership, destinations, sync, handedOver.state(),
                        handedOver.socketFd());
                if (sync != null) {
                    sync.start(node);
                }
                return node;
            } catch (RuntimeException e) {
                SeqPacketSocket.closeAll(handedOver.socketFd());
                throw e;
            }
        }
    }

    /** The IPv4 VIPs of gate and ipip (direct routing) services. */
    static Set<Inet4Address> drVips(ClusterConfig cluster) {
        return cluster.virtualServices().stream()
                .filter(vs -> vs.forwarding().directRouted())
                .map(VirtualService::address)
                .filter(e -> e.address() instanceof Inet4Address)
                .map(e -> (Inet4Address) e.address())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Where heartbeats are sent; a ucast line naming one of this node's own addresses is skipped, as heartbeat does. */
    static List<SocketAddress> destinations(HaConfig config, List<InterfaceAddress> addresses) {
        List<SocketAddress> out = new ArrayList<>();
        for (HeartbeatMedium m : config.cf().media()) {
            switch (m) {
                case HeartbeatMedium.Broadcast b -> {
                    Inet4Address brd = addresses.stream()
                            .filter(a -> a.interfaceName().equals(b.interfaceName()))
                            .map(InterfaceAddress::broadcastOrDerived).findFirst()
                            .orElseThrow(() -> new HaConfigException("ha.cf: bcast " + b.interfaceName() + ": " + b.interfaceName()
                                    + " has no IPv4 address here; is it up and addressed? (or use ucast)"));
                    out.add(new InetSocketAddress(brd, b.port()));
                }
                case HeartbeatMedium.Unicast u -> {
                    boolean own = addresses.stream().anyMatch(a -> a.address().equals(u.peer()));
                    if (!own) {
                        out.add(new InetSocketAddress(u.peer(), u.port()));
                    }
                }
                case HeartbeatMedium.Multicast mc -> out.add(new InetSocketAddress(mc.group(), mc.port()));
            }
        }
        if (out.isEmpty()) {
            throw new HaConfigException("ha.cf: every heartbeat path leads to this node itself (ucast to its own address);"
                    + " add ucast IF PEER-ADDRESS for the other node");
        }
        return out;
    }

    /** {@code uname -n}: the kernel's node name of this UTS namespace. */
    static String unameN() {
        try {
            return ProcValue.read(Path.of("/proc/sys/kernel/hostname"));
        } catch (IOException e) {
            throw new HaConfigException("cannot read this node's name (uname -n): " + e.getMessage() + "; start lbd with --ha-node NAME");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }
}
