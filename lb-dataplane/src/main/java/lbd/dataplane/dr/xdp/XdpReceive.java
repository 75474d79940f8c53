package lbd.dataplane.dr.xdp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.sys.DrSystemException;
import lbd.sys.LinuxNative;

/**
 * The DR workers' AF_XDP receive path: on each ingress interface, an {@link XdpServiceProgram} that takes the
 * services' frames to an {@link XdpSocket} per receive queue, worker {@code w} owning queue {@code w}'s socket. The
 * program runs before the packet taps and ingress hooks, so a frame it takes costs the receiving CPU nothing more
 * in the kernel (no packet-socket copy, no second copy for the kernel's own stack to drop); what it leaves goes on
 * to the packet sockets as before.
 *
 * <p>A flow's frames come in on one queue of an interface (the NIC hashes the flow to it), so they reach one
 * worker; on a queue with no socket (more queues than workers) they go to the packet sockets and their fanout.
 *
 * <p>The programs are attached through BPF links, which lbd alone holds: an exit, a kill included, detaches them.
 * {@link #attached(boolean) Detached}, the frames go back to the packet sockets. A held data plane detaches and
 * {@link #closeSockets closes its sockets} (a queue takes one AF_XDP socket at a time): during an upgrade both
 * processes' packet sockets see every frame, and the new process opens its sockets and attaches when it is released.
 * The sockets are used by the workers; the rest is synchronized (the control plane's threads).
 */
public final class XdpReceive implements AutoCloseable {

    private static final int KEY4 = 8;
    private static final int KEY6 = 20;
    private static final int MAX_SERVICES = 65536;
    private static final java.time.Duration BUSY_WAIT = java.time.Duration.ofSeconds(2);
    // The longest frame the programs take: a full frame of a 1500-byte MTU. Longer ones are GRO's or TSO's
    // aggregates (or jumbo frames), which the packet sockets receive with their offload state, so that the kernel
    // segments them on the way out; a forwarded aggregate would be dropped as longer than the MTU.
    private static final int MAX_FRAME = 1514;

    private final List<DrInterface> interfaces;
    private final int services4;
    private final int services6;
    private final int[] xskMaps;
    private final int[] programs;
    private final int[] links;
    private final XdpSocket[][] sockets; // [interface][worker], null where the interface has no such queue
    private Set<VirtualServiceKey> services = Set.of();
    private boolean closed;

    private XdpReceive(List<DrInterface> interfaces, int workers, int services4, int services6) {
        this.interfaces = List.copyOf(interfaces);
        this.services4 = services4;
        this.services6 = services6;
        this.xskMaps = new int[interfaces.size()];
        this.programs = new int[interfaces.size()];
        this.links = new int[interfaces.size()];
        this.sockets = new XdpSocket[interfaces.size()][workers];
        java.util.Arrays.fill(xskMaps, -1);
        java.util.Arrays.fill(programs, -1);
        java.util.Arrays.fill(links, -1);
    }

    /**
     * Loads the programs (one per interface, with its XSKMAP) and the services' maps; with {@code withSockets}, also
     * opens the sockets and attaches the programs ({@link #openSockets}, {@link #attached(boolean)}).
     *
     * @throws DrSystemException with the kernel's reason (no AF_XDP, no CAP_BPF, an XDP program on the interface
     *                           already); nothing stays open
     */
    public static XdpReceive open(List<DrInterface> interfaces, int workers, Collection<VirtualServiceKey> services,
                                  boolean withSockets) {
        int services4 = Bpf.createMap(Bpf.MAP_TYPE_HASH, KEY4, 4, MAX_SERVICES, "lbd_services4");
        int services6;
        try {
            services6 = Bpf.createMap(Bpf.MAP_TYPE_HASH, KEY6, 4, MAX_SERVICES, "lbd_services6");
        } catch (RuntimeException e) {
            try (Arena arena = Arena.ofConfined()) {
                LinuxNative.close(LinuxNative.newErrnoSegment(arena), services4);
            }
            throw e;
        }
        XdpReceive r = new XdpReceive(interfaces, workers, services4, services6);
        try {
            r.follow(services);
            for (int i = 0; i < interfaces.size(); i++) {
                r.xskMaps[i] = Bpf.createMap(Bpf.MAP_TYPE_XSKMAP, 4, 4, workers, "lbd_xsks");
                r.programs[i] = Bpf.loadXdp(XdpServiceProgram.assemble(r.xskMaps[i], services4, services6,
                        interfaces.get(i).mac(), MAX_FRAME), "lbd_dr");
            }
            if (withSockets) {
                r.openSockets();
                r.attached(true);
            }
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /**
     * Opens a socket per worker on each interface, as many as the interface has receive queues (where they are not
     * known, binding to a queue it does not have fails, and the workers after it get none there), each in its
     * queue's XSKMAP slot; nothing
     * when they are open. A queue that another socket still has (one closed a moment ago: the kernel lets go of it
     * a little later) is asked for again for up to {@link #BUSY_WAIT}.
     *
     * @throws DrSystemException, {@link XdpSocket.QueueBusyException} when a queue 0 cannot be had; none stays open
     */
    public synchronized void openSockets() {
        if (closed) {
            throw new DrSystemException("the AF_XDP receive path is closed");
        }
        if (socketsOpen()) {
            return;
        }
        try {
            for (int i = 0; i < interfaces.size(); i++) {
                DrInterface iface = interfaces.get(i);
                int queues = iface.receiveQueues() > 0 ? Math.min(iface.receiveQueues(), sockets[i].length)
                        : sockets[i].length; // not known: until a bind says there is no such queue
                for (int w = 0; w < queues; w++) {
                    try {
                        sockets[i][w] = XdpSocket.openWhenFree(iface.name(), iface.index(), w,
                                w < iface.transmitQueues(), BUSY_WAIT);
                    } catch (XdpSocket.NoSuchQueueException e) {
                        if (w == 0) {
                            throw e;
                        }
                        break; // fewer queues than workers: their frames go on to the packet sockets
                    }
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
                        key.set(ValueLayout.JAVA_INT, 0, w);
                        MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
                        value.set(ValueLayout.JAVA_INT, 0, sockets[i][w].fd());
                        Bpf.update(xskMaps[i], key, value);
                    }
                }
            }
        } catch (RuntimeException e) {
            closeSockets();
            throw e;
        }
    }

    /** Closes the sockets (the kernel takes them out of the XSKMAPs); the workers must have let go of them. */
    public synchronized void closeSockets() {
        for (XdpSocket[] own : sockets) {
            for (int w = 0; w < own.length; w++) {
                if (own[w] != null) {
                    own[w].close();
                    own[w] = null;
                }
            }
        }
    }

    /** True while the sockets are open. */
    public synchronized boolean socketsOpen() {
        return sockets.length > 0 && sockets[0].length > 0 && sockets[0][0] != null;
    }

    /** Worker {@code w}'s sockets, one per interface in order, null where that interface has no queue {@code w}. */
    public synchronized XdpSocket[] socketsOf(int worker) {
        XdpSocket[] own = new XdpSocket[interfaces.size()];
        for (int i = 0; i < own.length; i++) {
            own[i] = sockets[i][worker];
        }
        return own;
    }

    /**
     * Attaches each interface's program (generic XDP: any driver), or detaches them all: every frame then goes to the
     * kernel, and so to the packet sockets. Attaching fails (EBUSY) while another program is on an interface.
     */
    public synchronized void attached(boolean attach) {
        if (closed && attach) {
            throw new DrSystemException("the AF_XDP receive path is closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(arena);
            for (int i = 0; i < links.length; i++) {
                if (attach && links[i] < 0) {
                    links[i] = Bpf.attachXdp(programs[i], interfaces.get(i).index(), Bpf.XDP_FLAGS_SKB_MODE,
                            interfaces.get(i).name());
                } else if (!attach && links[i] >= 0) {
                    LinuxNative.close(errno, links[i]);
                    links[i] = -1;
                }
            }
        }
    }

    /** True while the programs are attached. */
    public synchronized boolean attached() {
        return links.length > 0 && links[0] >= 0;
    }

    /**
     * Makes the programs take exactly these services' frames (firewall-mark services have no address to match and
     * stay with the packet sockets); only the keys that changed are written.
     */
    public synchronized void follow(Collection<VirtualServiceKey> wanted) {
        if (closed) {
            return;
        }
        Set<VirtualServiceKey> next = new HashSet<>();
        for (VirtualServiceKey k : wanted) {
            if (k.protocol() == Protocol.TCP || k.protocol() == Protocol.UDP) {
                next.add(k);
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_INT);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            for (VirtualServiceKey k : services) {
                if (!next.contains(k)) {
                    Bpf.delete(mapOf(k), key(arena, k));
                }
            }
            for (VirtualServiceKey k : next) {
                if (!services.contains(k)) {
                    Bpf.update(mapOf(k), key(arena, k), one);
                }
            }
        }
        services = Set.copyOf(next);
    }

    private int mapOf(VirtualServiceKey k) {
        return k.address().isIpv4() ? services4 : services6;
    }

    /** The program's key: the address as on the wire, the protocol, a zero byte, the port as on the wire. */
    static MemorySegment key(Arena arena, VirtualServiceKey k) {
        byte[] address = k.address().address().getAddress();
        MemorySegment key = arena.allocate(address.length + 4L);
        MemorySegment.copy(address, 0, key, ValueLayout.JAVA_BYTE, 0, address.length);
        key.set(ValueLayout.JAVA_BYTE, address.length, (byte) (k.protocol() == Protocol.UDP ? 17 : 6));
        key.set(ValueLayout.JAVA_BYTE, address.length + 2L, (byte) (k.address().port() >>> 8));
        key.set(ValueLayout.JAVA_BYTE, address.length + 3L, (byte) k.address().port());
        return key;
    }

    /** Where the sockets receive, e.g. "eth0 queues 0-1, eth1 queue 0" (for log lines). */
    public synchronized String describe() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < interfaces.size(); i++) {
            int queues = 0;
            while (queues < sockets[i].length && sockets[i][queues] != null) {
                queues++;
            }
            // A queue's frames reach one socket, so fewer queues than workers leave workers without the services'
            // frames of this interface: said, since eventloops= then spreads less than without xdp=yes.
            parts.add(interfaces.get(i).name() + (queues == 1 ? " queue 0" : " queues 0-" + (queues - 1))
                    + (queues < sockets[i].length ? ": " + queues + " of " + sockets[i].length
                            + " workers, one per receive queue" : ""));
        }
        return String.join(", ", parts);
    }

    /** Detaches the programs and closes every socket, program and map. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        attached(false);
        closeSockets();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(arena);
            for (int fd : programs) {
                closeFd(errno, fd);
            }
            for (int fd : xskMaps) {
                closeFd(errno, fd);
            }
            closeFd(errno, services4);
            closeFd(errno, services6);
        }
        closed = true; // the descriptors' numbers may be another's from now on
    }

    private static void closeFd(MemorySegment errno, int fd) {
        if (fd >= 0) {
            LinuxNative.close(errno, fd);
        }
    }
}
