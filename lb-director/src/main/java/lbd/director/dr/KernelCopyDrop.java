package lbd.director.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrInterface;
import lbd.sys.LinuxNative;

/**
 * Drops the director kernel's own copy of the DR services' frames, at each receiving interface's ingress hook.
 *
 * <p>The DR workers' packet sockets take every frame for a VIP from the interface's tap ({@code ETH_P_ALL}), which
 * the kernel runs before the ingress hooks. The kernel then receives the same frame itself: the VIP is not one of
 * its addresses and it does not forward ({@link DrStartupCheck}), so it looks the route up, fails, counts an
 * address error and drops it — a second receive path per packet, on the CPU that also takes the frame to the
 * workers, for nothing. A rule at the ingress hook that drops the service's packets ends that copy before the IP
 * layer; the taps have already handed it to lbd.
 *
 * <p>The rules live in an nf_tables {@code netdev} table owned by this object's netlink socket
 * ({@code NFT_TABLE_F_OWNER}, Linux 5.12): the kernel removes the table when the socket closes, so that the drop
 * ends with lbd however lbd ends (a kill included), and no other process can change it. Its name carries the
 * process id ({@code lbd_dr_PID}): during an upgrade the old and the new process each hold their own, which drop
 * the same packets. The services ({@code virtual=VIP:PORT}) are the elements of four sets, by address family and
 * whether they name a port (a port-0 service matches the protocol on the VIP; firewall-mark services have no
 * address to match and keep the kernel's copy); each interface's chain has one rule per set in use, which takes
 * the untagged frames to the interface's own MAC (those its workers take) and looks their protocol, destination
 * address and port up in it: one look-up per frame whatever the number of services. A change of services adds and
 * removes only the elements that changed, so the others keep their counts. {@code nft list table netdev
 * lbd_dr_PID} lists the elements, each with its own counter.
 *
 * <p>lbd-dr thread only. Needs CAP_NET_ADMIN; without it, or on an older kernel, {@link #open} fails and the kernel
 * keeps receiving its copy, as before.
 */
public final class KernelCopyDrop implements AutoCloseable {

    /** After the operator's own filter chains at the default priority (0). */
    static final int PRIORITY = 100;
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_NETFILTER = 12;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SEND_BUFFER = 8 << 20;
    private static final int NLMSG_ERROR = 2;
    private static final int RECEIVE_BUFFER = 65536;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = LinuxNative.newErrnoSegment(arena);
    private final MemorySegment reply = arena.allocate(RECEIVE_BUFFER, 8);
    private final MemorySegment kernel = arena.allocate(12, 4); // struct sockaddr_nl; pid 0 is the kernel
    private final String table;
    private final List<String> chains = new ArrayList<>();
    private final List<DrInterface> interfaces;
    private int fd;
    private int seq = 1;
    private Set<VirtualServiceKey> services = Set.of();

    private KernelCopyDrop(String table, List<DrInterface> interfaces) {
        this.table = table;
        this.interfaces = List.copyOf(interfaces);
    }

    /**
     * Creates the table with an empty ingress chain on each interface.
     *
     * @throws IllegalStateException with the kernel's reason when it cannot (no CAP_NET_ADMIN, a kernel without
     *                               owned tables or netdev chains)
     */
    public static KernelCopyDrop open(List<DrInterface> interfaces) {
        KernelCopyDrop drop = new KernelCopyDrop("lbd_dr_" + ProcessHandle.current().pid(), interfaces);
        try {
            drop.connect();
            NfTablesBatch batch = drop.batch().newTable(drop.table, NfTablesBatch.NFT_TABLE_F_OWNER);
            for (DrInterface device : interfaces) {
                String chain = "ingress_" + device.name();
                batch.newIngressChain(drop.table, chain, device.name(), PRIORITY);
                drop.chains.add(chain);
            }
            for (ServiceSet set : ServiceSet.values()) {
                batch.newCountedSet(drop.table, set.setName, set.ordinal() + 1, set.keyType, set.keyLength());
            }
            drop.send(batch);
            return drop;
        } catch (RuntimeException e) {
            drop.close();
            throw e;
        }
    }

    /** The table's name, as {@code nft list table netdev NAME} takes it. */
    public String table() {
        return table;
    }

    /** The interfaces whose ingress the rules are on. */
    public List<String> interfaces() {
        return interfaces.stream().map(DrInterface::name).toList();
    }

    /**
     * Makes the rules drop exactly these services' packets (firewall-mark services are left out), replacing the
     * previous set in one transaction; nothing is sent when the set is unchanged.
     *
     * @throws IllegalStateException with the kernel's reason; the previous rules then stay in place
     */
    public void follow(Collection<VirtualServiceKey> wanted) {
        Set<VirtualServiceKey> next = new TreeSet<>();
        for (VirtualServiceKey k : wanted) {
            if (k.protocol() != Protocol.FWM) {
                next.add(k);
            }
        }
        if (next.equals(services)) {
            return;
        }
        Map<ServiceSet, List<byte[]>> removed = keysBySet(services, next);
        Map<ServiceSet, List<byte[]>> added = keysBySet(next, services);
        NfTablesBatch batch = batch();
        for (ServiceSet set : ServiceSet.values()) {
            batch.removeElements(table, set.setName, removed.get(set));
            batch.addElements(table, set.setName, added.get(set));
        }
        Set<ServiceSet> inUse = inUse(next);
        if (!inUse.equals(inUse(services))) { // the rules, one per set in use, only when that changes
            batch.deleteRules(table);
            for (int i = 0; i < chains.size(); i++) {
                for (ServiceSet set : inUse) {
                    batch.lookupDropRule(table, chains.get(i), interfaces.get(i).mac(), set.setName, set.v6,
                            set.port);
                }
            }
        }
        send(batch);
        services = Set.copyOf(next);
    }

    /** The keys of the services in {@code these} and not in {@code those}, by set. */
    private static Map<ServiceSet, List<byte[]>> keysBySet(Set<VirtualServiceKey> these,
                                                           Set<VirtualServiceKey> those) {
        Map<ServiceSet, List<byte[]>> keys = new EnumMap<>(ServiceSet.class);
        for (ServiceSet set : ServiceSet.values()) {
            keys.put(set, new ArrayList<>());
        }
        for (VirtualServiceKey k : these) {
            if (!those.contains(k)) {
                ServiceSet set = ServiceSet.of(k);
                keys.get(set).add(set.key(k));
            }
        }
        return keys;
    }

    private static Set<ServiceSet> inUse(Set<VirtualServiceKey> services) {
        Set<ServiceSet> sets = java.util.EnumSet.noneOf(ServiceSet.class);
        services.forEach(k -> sets.add(ServiceSet.of(k)));
        return sets;
    }

    /** The services whose packets are dropped now. */
    public Set<VirtualServiceKey> services() {
        return services;
    }

    /** Closes the socket; the kernel removes the table with it. */
    @Override
    public void close() {
        if (fd > 0) {
            LinuxNative.close(errno, fd);
            fd = 0;
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    private NfTablesBatch batch() {
        return new NfTablesBatch(seq);
    }

    private void connect() {
        fd = LinuxNative.socket(errno, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (fd < 0) {
            fd = 0;
            throw failure("cannot open a netfilter netlink socket", LinuxNative.errno(errno));
        }
        MemorySegment timeout = arena.allocate(16, 8); // struct timeval: 5 s, so that a read cannot hang
        timeout.set(ValueLayout.JAVA_LONG, 0, 5L);
        if (LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_SOCKET, SO_RCVTIMEO, timeout, 16) < 0) {
            throw failure("cannot set the netlink socket's receive timeout", LinuxNative.errno(errno));
        }
        // A batch is one datagram, and netlink refuses one larger than the send buffer (~208 KiB by default): some
        // 8,000 services' elements. CAP_NET_ADMIN, which the table needs anyway, lets the buffer pass the system's
        // limit; without it the default stays, and a larger batch is refused with the reason.
        MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
        size.set(ValueLayout.JAVA_INT, 0, SEND_BUFFER);
        LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_SOCKET, SO_SNDBUFFORCE, size, 4);
        kernel.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
    }

    /** Sends the batch and reads an acknowledgement for each change; the first refusal is thrown. */
    private void send(NfTablesBatch batch) {
        byte[] bytes = batch.finish();
        seq = batch.nextSeq();
        try (Arena once = Arena.ofConfined()) {
            MemorySegment out = once.allocate(bytes.length, 8);
            MemorySegment.copy(bytes, 0, out, ValueLayout.JAVA_BYTE, 0, bytes.length);
            if (LinuxNative.sendto(errno, fd, out, bytes.length, 0, kernel, 12) != bytes.length) {
                throw failure("cannot send to nf_tables", LinuxNative.errno(errno));
            }
        }
        int waiting = batch.acknowledged();
        int refusal = 0;
        while (waiting > 0) {
            long n = LinuxNative.recv(errno, fd, reply, RECEIVE_BUFFER, refusal != 0 ? LinuxNative.MSG_DONTWAIT : 0);
            if (n <= 0) {
                if (refusal != 0) {
                    break; // the kernel stopped at the refusal: nothing more comes
                }
                throw failure("no answer from nf_tables", LinuxNative.errno(errno));
            }
            for (int at = 0; at + 16 <= n; ) {
                int length = reply.get(ValueLayout.JAVA_INT, at);
                int type = reply.get(ValueLayout.JAVA_SHORT, at + 4);
                int replySeq = reply.get(ValueLayout.JAVA_INT, at + 8);
                if (length < 16) {
                    break;
                }
                if (type == NLMSG_ERROR && replySeq >= batch.firstSeq() && replySeq < batch.nextSeq()) {
                    waiting--;
                    int error = -reply.get(ValueLayout.JAVA_INT, at + 16);
                    if (error != 0 && refusal == 0) {
                        refusal = error;
                    }
                }
                at += (length + 3) & ~3;
            }
        }
        if (refusal != 0) {
            throw failure("nf_tables refused the change", refusal);
        }
    }

    private static IllegalStateException failure(String what, int error) {
        return new IllegalStateException(what + ": " + LinuxNative.strerror(error));
    }

    /**
     * The set a service's key goes to, by address family and whether the service names a port, and the key: the
     * transport protocol, the VIP and the port, each padded to 4 bytes as the rule's look-up lays them out.
     */
    private enum ServiceSet {
        PORTS4("services4", false, true), ADDRESSES4("addresses4", false, false),
        PORTS6("services6", true, true), ADDRESSES6("addresses6", true, false);

        // nft's names of the key's parts (its datatype numbers), six bits each in a concatenation's type
        private static final int INET_PROTOCOL = 12;
        private static final int IPV4_ADDRESS = 7;
        private static final int IPV6_ADDRESS = 8;
        private static final int INET_SERVICE = 13;

        final String setName;
        final boolean v6;
        final boolean port;
        final int keyType;

        ServiceSet(String setName, boolean v6, boolean port) {
            this.setName = setName;
            this.v6 = v6;
            this.port = port;
            int type = INET_PROTOCOL << 6 | (v6 ? IPV6_ADDRESS : IPV4_ADDRESS);
            this.keyType = port ? type << 6 | INET_SERVICE : type;
        }

        int keyLength() {
            return 4 + (v6 ? 16 : 4) + (port ? 4 : 0);
        }

        static ServiceSet of(VirtualServiceKey k) {
            boolean v6 = !k.address().isIpv4();
            boolean port = k.address().port() != 0;
            return v6 ? (port ? PORTS6 : ADDRESSES6) : (port ? PORTS4 : ADDRESSES4);
        }

        byte[] key(VirtualServiceKey k) {
            byte[] key = new byte[keyLength()];
            key[0] = (byte) (k.protocol() == Protocol.UDP ? 17 : 6);
            byte[] vip = k.address().address().getAddress();
            System.arraycopy(vip, 0, key, 4, vip.length);
            if (port) {
                int p = k.address().port();
                key[4 + vip.length] = (byte) (p >>> 8);
                key[5 + vip.length] = (byte) p;
            }
            return key;
        }
    }
}
