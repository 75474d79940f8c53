package lbd.dataplane.dr.xdp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import lbd.dataplane.dr.sys.DrSystemException;
import lbd.sys.LinuxNative;

/**
 * An AF_XDP socket on one queue of one interface, in copy mode (any driver, veth included). It receives: the
 * frames its XDP program redirects to it arrive in its own memory (the UMEM), {@link #RING} frames of
 * {@link #FRAME_SIZE} bytes, announced on the receive ring; the frames it gives back to the kernel wait on the fill
 * ring. And it sends on the same queue: a frame is copied into one of {@link #TX_FRAMES} more frames of the UMEM (or,
 * a frame it received, swapped for one of them on the fill ring) and announced on the transmit ring; the kernel hands
 * the frame back on the completion ring once the frame is out, as one more frame to send from.
 * Rings are single-producer single-consumer, shared with the kernel through mmap: a busy worker makes no system call
 * per frame; per batch, one to send (copy mode sends on sendto(2)) and none to receive unless the kernel asks to be
 * woken ({@code XDP_USE_NEED_WAKEUP}).
 *
 * <p>A worker handles each frame where it lies ({@link #next}), sends it (through {@link #transmit} here or another
 * socket), and then {@link #release releases} the batch's frames to the fill ring. Used by one thread at a time.
 */
public final class XdpSocket implements AutoCloseable {

    /** Bytes per UMEM frame: a page, so that a frame never crosses one. */
    public static final int FRAME_SIZE = 4096;
    /** The longest frame the socket receives: a frame's bytes after the kernel's XDP_PACKET_HEADROOM (256). */
    public static final int MAX_FRAME = FRAME_SIZE - 256;
    /**
     * Where a received frame starts in its UMEM frame: after the kernel's XDP_PACKET_HEADROOM (the UMEM is registered
     * with no headroom of its own).
     */
    public static final int DATA_OFFSET = 256;
    static final int RING = 2048;        // descriptors per receive and fill ring; as many frames to receive into
    /** Frames to send from, after the receiving ones. */
    static final int TX_FRAMES = 512;    // also the transmit and completion rings' size: neither can overflow
    /** Each socket's UMEM, which the kernel pins (locked memory: CAP_IPC_LOCK, or RLIMIT_MEMLOCK): 10 MiB. */
    public static final long UMEM_BYTES = (long) (RING + TX_FRAMES) * FRAME_SIZE;
    private static final int AF_XDP = 44;
    private static final int SOL_XDP = 283;
    private static final int XDP_STATISTICS = 7;
    private static final int XDP_MMAP_OFFSETS = 1, XDP_RX_RING = 2, XDP_TX_RING = 3, XDP_UMEM_REG = 4,
            XDP_UMEM_FILL_RING = 5, XDP_UMEM_COMPLETION_RING = 6;
    private static final long PGOFF_RX_RING = 0, PGOFF_TX_RING = 0x80000000L, PGOFF_FILL_RING = 0x100000000L,
            PGOFF_COMPLETION_RING = 0x180000000L;
    private static final int EAGAIN = 11;
    /** How often {@link #openWhenFree} asks again for a busy queue. */
    private static final long BUSY_POLL_MILLIS = 50;
    /** The most frames one sendto(2) sends in copy mode (the kernel's TX_BATCH_SIZE, net/xdp/xsk.c). */
    static final int KERNEL_TX_BATCH = 32;
    private static final int SO_SNDBUF = 7, SO_SNDBUFFORCE = 32;
    /**
     * The send buffer asked for. In copy mode each frame sent is an skb charged to the socket until the NIC has sent
     * it; the default buffer (wmem_default, 208 KiB) holds about 90 of them, fewer than {@link #TX_FRAMES}, and the
     * kernel takes no more frames from the ring until some complete. veth completes at once; a NIC an interrupt later.
     */
    static final int SEND_BUFFER = 2 << 20;
    private static final short XDP_COPY = 1 << 1, XDP_USE_NEED_WAKEUP = 1 << 3;
    private static final int XDP_RING_NEED_WAKEUP = 1;
    private static final int EBUSY = 16;
    private static final int EINVAL = 22;
    private static final int RX_DESC = 16; // struct xdp_desc: addr u64, len u32, options u32
    private static final VarHandle INT_AT = ValueLayout.JAVA_INT.varHandle();

    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = LinuxNative.newErrnoSegment(arena);
    private final String interfaceName;
    private final int fd;
    private final boolean sends;
    private MemorySegment umem;
    private MemorySegment rxMap, fillMap, txMap, completionMap;
    /** The last {@link #transmitQueued} was refused with ENETDOWN. */
    private boolean interfaceDown;
    // Ring layouts (struct xdp_mmap_offsets): producer, consumer, descriptors, flags, per ring.
    private long rxProducer, rxConsumer, rxDesc;
    private long fillProducer, fillDesc, fillFlags;
    private long txProducer, txConsumer, txDesc;
    private long completionProducer, completionConsumer, completionDesc;
    private final long[] freeTx = new long[TX_FRAMES]; // UMEM offsets of the sending frames not in the kernel's hands
    private int freeCount;
    private int txHead;          // our producer index on the transmit ring
    private int txPublished;     // ... as the kernel last saw it
    private int completionHead;  // our consumer index on the completion ring
    private int rxHead;    // our consumer index on the receive ring
    private int produced;  // the kernel's producer index on it, as last read
    private int fillHead;  // our producer index on the fill ring
    private int lastFillSlot; // where next() put the frame it returned last back on the fill ring (not yet published)
    private int taken;     // frames received since the rings were last published
    private int lastLength;
    // struct xdp_statistics: rx_dropped, rx_invalid_descs, tx_invalid_descs, rx_ring_full, ... (u64 each)
    private final MemorySegment statsValue = arena.allocate(48, 8);
    private final MemorySegment statsLength = arena.allocate(4, 4);
    private long dropsRead; // rx_dropped + rx_ring_full at the last read
    private long refusedRead; // tx_invalid_descs at the last read
    private long refusedSinceRead;

    private XdpSocket(String interfaceName, int fd, boolean sends) {
        this.interfaceName = interfaceName;
        this.fd = fd;
        this.sends = sends;
    }

    /**
     * Opens a socket on queue {@code queue} of the interface, every receiving frame of its UMEM on the fill ring.
     *
     * @param sends whether the interface has a transmit queue {@code queue}: the kernel sends an AF_XDP socket's
     *              frames on the queue of its number, and refuses to where there is none ({@link #transmit} then
     *              takes nothing)
     */
    public static XdpSocket open(String interfaceName, int interfaceIndex, int queue, boolean sends) {
        return openWhenFree(interfaceName, interfaceIndex, queue, sends, java.time.Duration.ZERO);
    }

    /**
     * {@link #open}, asking again every {@link #BUSY_POLL_MILLIS} for up to {@code busyFor} while the queue has
     * another socket. A socket closed a moment ago keeps its queue a little longer: the kernel lets go of it from a
     * work queue after the close (the pool's deferred release), so a close followed at once by an open on the same
     * queue (an upgrade's hand-over, a socket reopened) can find it busy.
     *
     * @throws QueueBusyException when the queue is still busy after {@code busyFor}
     */
    public static XdpSocket openWhenFree(String interfaceName, int interfaceIndex, int queue, boolean sends,
                                         java.time.Duration busyFor) {
        long deadline = System.nanoTime() + busyFor.toNanos();
        while (true) {
            try {
                return openNow(interfaceName, interfaceIndex, queue, sends);
            } catch (QueueBusyException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(
                        java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(BUSY_POLL_MILLIS));
            }
        }
    }

    private static XdpSocket openNow(String interfaceName, int interfaceIndex, int queue, boolean sends) {
        XdpSocket s;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(tmp);
            int fd = LinuxNative.socket(errno, AF_XDP, LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new DrSystemException("cannot open an AF_XDP socket: "
                        + LinuxNative.strerror(LinuxNative.errno(errno))
                        + " (a kernel with CONFIG_XDP_SOCKETS, and CAP_NET_RAW)");
            }
            s = new XdpSocket(interfaceName, fd, sends);
        }
        try {
            s.setUp(interfaceIndex, queue);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @SuppressWarnings("restricted") // sizing the kernel's mappings, whose lengths we chose
    private void setUp(int interfaceIndex, int queue) {
        umem = arena.allocate(UMEM_BYTES, FRAME_SIZE);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment reg = tmp.allocate(32, 8); // struct xdp_umem_reg: addr, len, chunk_size, headroom, flags
            reg.set(ValueLayout.JAVA_LONG, 0, umem.address());
            reg.set(ValueLayout.JAVA_LONG, 8, umem.byteSize());
            reg.set(ValueLayout.JAVA_INT, 16, FRAME_SIZE);
            check(LinuxNative.setsockopt(errno, fd, SOL_XDP, XDP_UMEM_REG, reg, 32), "register the UMEM");
            MemorySegment n = tmp.allocate(ValueLayout.JAVA_INT);
            n.set(ValueLayout.JAVA_INT, 0, RING);
            check(LinuxNative.setsockopt(errno, fd, SOL_XDP, XDP_UMEM_FILL_RING, n, 4), "size the fill ring");
            check(LinuxNative.setsockopt(errno, fd, SOL_XDP, XDP_RX_RING, n, 4), "size the receive ring");
            n.set(ValueLayout.JAVA_INT, 0, TX_FRAMES);
            check(LinuxNative.setsockopt(errno, fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, n, 4),
                    "size the completion ring");
            check(LinuxNative.setsockopt(errno, fd, SOL_XDP, XDP_TX_RING, n, 4), "size the transmit ring");
            n.set(ValueLayout.JAVA_INT, 0, SEND_BUFFER);
            // FORCE passes net.core.wmem_max (CAP_NET_ADMIN, which xdp=yes has); else the capped size will do.
            if (LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_SOCKET, SO_SNDBUFFORCE, n, 4) < 0) {
                LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_SOCKET, SO_SNDBUF, n, 4);
            }
            // struct xdp_mmap_offsets: rx, tx, fr, cr; each struct xdp_ring_offset: producer, consumer, desc, flags
            MemorySegment off = tmp.allocate(128, 8);
            MemorySegment len = tmp.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 128);
            check(LinuxNative.getsockopt(errno, fd, SOL_XDP, XDP_MMAP_OFFSETS, off, len), "read the ring offsets");
            rxProducer = off.get(ValueLayout.JAVA_LONG, 0);
            rxConsumer = off.get(ValueLayout.JAVA_LONG, 8);
            rxDesc = off.get(ValueLayout.JAVA_LONG, 16);
            fillProducer = off.get(ValueLayout.JAVA_LONG, 64);
            fillDesc = off.get(ValueLayout.JAVA_LONG, 64 + 16);
            fillFlags = off.get(ValueLayout.JAVA_LONG, 64 + 24);
            rxMap = map(rxDesc + (long) RING * RX_DESC, PGOFF_RX_RING, "receive");
            fillMap = map(fillDesc + RING * 8L, PGOFF_FILL_RING, "fill");
            txProducer = off.get(ValueLayout.JAVA_LONG, 32);
            txConsumer = off.get(ValueLayout.JAVA_LONG, 32 + 8);
            txDesc = off.get(ValueLayout.JAVA_LONG, 32 + 16);
            txMap = map(txDesc + (long) TX_FRAMES * RX_DESC, PGOFF_TX_RING, "transmit");
            completionProducer = off.get(ValueLayout.JAVA_LONG, 96);
            completionConsumer = off.get(ValueLayout.JAVA_LONG, 96 + 8);
            completionDesc = off.get(ValueLayout.JAVA_LONG, 96 + 16);
            completionMap = map(completionDesc + TX_FRAMES * 8L, PGOFF_COMPLETION_RING, "completion");
            for (int i = 0; i < RING; i++) {
                fillMap.set(ValueLayout.JAVA_LONG, fillDesc + 8L * i, (long) i * FRAME_SIZE);
            }
            for (int i = 0; i < TX_FRAMES; i++) {
                freeTx[i] = (long) (RING + i) * FRAME_SIZE;
            }
            freeCount = TX_FRAMES;
            fillHead = RING;
            INT_AT.setRelease(fillMap, fillProducer, fillHead);
            MemorySegment sxdp = tmp.allocate(16, 4); // struct sockaddr_xdp: family, flags, ifindex, queue, shared fd
            sxdp.set(ValueLayout.JAVA_SHORT, 0, (short) AF_XDP);
            sxdp.set(ValueLayout.JAVA_SHORT, 2, (short) (XDP_COPY | XDP_USE_NEED_WAKEUP));
            sxdp.set(ValueLayout.JAVA_INT, 4, interfaceIndex);
            sxdp.set(ValueLayout.JAVA_INT, 8, queue);
            check(LinuxNative.bind(errno, fd, sxdp, 16), "bind to queue " + queue);
        }
    }

    @SuppressWarnings("restricted")
    private MemorySegment map(long length, long pageOffset, String ring) {
        MemorySegment m = LinuxNative.mmap(errno, length, LinuxNative.PROT_READ_WRITE, LinuxNative.MAP_SHARED, fd,
                pageOffset);
        if (m.address() == -1L) {
            throw new DrSystemException("cannot map the AF_XDP " + ring + " ring of " + interfaceName + ": "
                    + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
        return m.reinterpret(length);
    }

    /**
     * Frames the kernel dropped for this socket since the last call: its receive ring full, or no frame on the fill
     * ring to copy into (XDP_STATISTICS rx_dropped and rx_ring_full, which count from the socket's start).
     */
    public long dropsSinceLastRead() {
        statsLength.set(ValueLayout.JAVA_INT, 0, 48);
        if (LinuxNative.getsockopt(errno, fd, SOL_XDP, XDP_STATISTICS, statsValue, statsLength) < 0) {
            return 0;
        }
        long total = statsValue.get(ValueLayout.JAVA_LONG, 0) + statsValue.get(ValueLayout.JAVA_LONG, 24);
        long since = total - dropsRead;
        dropsRead = total;
        long refused = statsValue.get(ValueLayout.JAVA_LONG, 16);
        refusedSinceRead = refused - refusedRead;
        refusedRead = refused;
        return since;
    }

    /**
     * Frames the kernel refused to send, between the last two {@link #dropsSinceLastRead} (XDP_STATISTICS
     * tx_invalid_descs: a descriptor whose address and length do not lie within one UMEM frame, which this class never
     * writes). Such a frame never comes back through the completion ring. A frame the kernel took and a driver then
     * dropped is not counted here: copy mode made it an skb, and freeing that gives the frame back.
     */
    public long refusedAtLastRead() {
        return refusedSinceRead;
    }

    /**
     * Queues {@code length} bytes at {@code offset} in {@code from} (a whole Ethernet frame, its checksums complete)
     * to leave on this socket's interface and queue at the next {@link #transmitQueued}: copied into a sending frame
     * of the UMEM, so that {@code from} is free again at once. Allocates nothing.
     *
     * @return false when the socket does not send, or every sending frame is still in the kernel's hands (the caller
     *         sends it another way)
     */
    public boolean transmit(MemorySegment from, long offset, int length) {
        if (length > FRAME_SIZE || !sendingFrameFree()) {
            return false;
        }
        long at = freeTx[--freeCount];
        MemorySegment.copy(from, offset, umem, at, length);
        queueTransmit(at, length);
        return true;
    }

    /**
     * Queues the frame {@link #next} returned last to leave on this socket's interface and queue from where it lies,
     * without a copy: {@code length} bytes at {@code offset} in {@link #umem()}, within that frame's
     * {@link #FRAME_SIZE} bytes (its start may have moved into the headroom). A sending frame takes the received
     * frame's place on the fill ring (next put it there, unpublished until {@link #release}); the received frame
     * comes back through the completion ring as a sending frame. Only between next and the following next.
     *
     * @return false when the socket does not send or no sending frame is free (the caller sends a copy, or through
     *         another socket)
     */
    public boolean transmitLastInPlace(long offset, int length) {
        if (!sendingFrameFree()) {
            return false;
        }
        fillMap.set(ValueLayout.JAVA_LONG, fillDesc + (long) (lastFillSlot & (RING - 1)) * 8, freeTx[--freeCount]);
        queueTransmit(offset, length);
        return true;
    }

    /** Whether this socket sends and has a sending frame free, taking back those the kernel is done with if need be. */
    private boolean sendingFrameFree() {
        return sends && (freeCount > 0 || reclaim() > 0);
    }

    private void queueTransmit(long at, int length) {
        long desc = txDesc + (long) (txHead & (TX_FRAMES - 1)) * RX_DESC;
        txMap.set(ValueLayout.JAVA_LONG, desc, at);
        txMap.set(ValueLayout.JAVA_LONG, desc + 8, length & 0xffffffffL); // len, and options 0
        txHead++;
    }

    /**
     * Sends what {@link #transmit} and {@link #transmitLastInPlace} queued: publishes the transmit ring and calls
     * sendto(2), which in copy mode sends at most {@link #KERNEL_TX_BATCH} frames a call and then fails with EAGAIN,
     * so it calls again, as often as the frames waiting need. What the kernel does not take now (the interface down,
     * its send buffer full) stays queued for the next call.
     *
     * <p>Whether a call made progress cannot be read off the ring on every kernel: before Linux 6.17 ("net: xsk:
     * update tx queue consumer immediately after transmission") copy mode wrote the ring's consumer index back only
     * when it had emptied its view of the ring, not when it stopped after a batch; so a call that sent 32 frames
     * showed none taken, and the rest waited for the next batch's call (Debian 12's 6.1 among those kernels).
     */
    public void transmitQueued() {
        if (txHead != txPublished) {
            INT_AT.setRelease(txMap, txProducer, txHead);
            txPublished = txHead;
        }
        int waiting = txHead - (int) INT_AT.getAcquire(txMap, txConsumer);
        interfaceDown = false;
        for (int calls = waiting / KERNEL_TX_BATCH + 1; waiting != 0 && calls > 0; calls--) {
            long rc = LinuxNative.sendto(errno, fd, MemorySegment.NULL, 0, LinuxNative.MSG_DONTWAIT);
            if (rc < 0) {
                interfaceDown = LinuxNative.errno(errno) == LinuxNative.ENETDOWN;
            }
            if (rc >= 0 || LinuxNative.errno(errno) != EAGAIN) {
                break; // taken, as far as the kernel can now; or refused
            }
            waiting = txHead - (int) INT_AT.getAcquire(txMap, txConsumer);
        }
        reclaim();
    }

    /** Whether frames queued to be sent are still waiting for the kernel to take them. */
    public boolean transmitPending() {
        return untakenFrames() != 0;
    }

    /**
     * Whether frames wait that the kernel may take in a moment (its send buffer was full), so that sending them again
     * soon is worth it; not while it refuses them because the interface is down (ENETDOWN at the last
     * {@link #transmitQueued}), which lasts as long as an operator or a cable makes it last.
     */
    public boolean transmitRetryDue() {
        return !interfaceDown && transmitPending();
    }

    /**
     * How many frames queued to be sent the kernel has not taken (the interface down, its send buffer full). They go
     * with the socket when it is closed, so whoever lets go of it counts them as not sent. On kernels before 6.17
     * (see {@link #transmitQueued}) this may include up to {@link #KERNEL_TX_BATCH} frames that the kernel took
     * while its send buffer filled, but did not yet show as taken.
     */
    public int untakenFrames() {
        return txHead - (int) INT_AT.getAcquire(txMap, txConsumer);
    }

    /** The sending frames the kernel is done with, back on the free list; how many. */
    private int reclaim() {
        int produced = (int) INT_AT.getAcquire(completionMap, completionProducer);
        int n = produced - completionHead;
        while (completionHead != produced) {
            // The address as sent: a frame sent in place may start inside its UMEM frame.
            freeTx[freeCount++] = completionMap.get(ValueLayout.JAVA_LONG,
                    completionDesc + (long) (completionHead & (TX_FRAMES - 1)) * 8) & ~(long) (FRAME_SIZE - 1);
            completionHead++;
        }
        if (n != 0) {
            INT_AT.setRelease(completionMap, completionConsumer, completionHead);
        }
        return n;
    }

    /** The socket's send buffer in bytes, as the kernel reports it (twice what was set). */
    int sendBufferBytes() {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment value = tmp.allocate(ValueLayout.JAVA_INT);
            MemorySegment length = tmp.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 4);
            check(LinuxNative.getsockopt(errno, fd, LinuxNative.SOL_SOCKET, SO_SNDBUF, value, length),
                    "read the send buffer's size");
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** The socket's descriptor: the XSKMAP's value for its queue, and what a worker polls. */
    public int fd() {
        return fd;
    }

    /**
     * The next received frame, where it lies: its offset in {@link #umem()} ({@link #DATA_OFFSET} into its frame of
     * {@link #FRAME_SIZE} bytes; the bytes before it are free for headers), its length in {@link #lastLength()};
     * -1 when nothing is queued. The frame stays the caller's, untouched by the kernel, until {@link #release}.
     */
    public long next() {
        if (rxHead == produced) {
            produced = (int) INT_AT.getAcquire(rxMap, rxProducer);
            if (rxHead == produced) {
                return -1;
            }
        }
        long desc = rxDesc + (long) (rxHead & (RING - 1)) * RX_DESC;
        long address = rxMap.get(ValueLayout.JAVA_LONG, desc);
        lastLength = rxMap.get(ValueLayout.JAVA_INT, desc + 8);
        rxHead++;
        lastFillSlot = fillHead;
        fillMap.set(ValueLayout.JAVA_LONG, fillDesc + (long) (fillHead & (RING - 1)) * 8,
                address & ~(long) (FRAME_SIZE - 1));
        fillHead++;
        taken++;
        return address;
    }

    /** The length of the frame {@link #next} returned last. */
    public int lastLength() {
        return lastLength;
    }

    /** The socket's memory, where {@link #next}'s frames lie. */
    public MemorySegment umem() {
        return umem;
    }

    /** Every frame {@link #next} returned since the last release goes back to the kernel: after they were sent. */
    public void release() {
        // The receive ring's consumer and the fill ring's producer move on.
        if (taken == 0) {
            return;
        }
        INT_AT.setRelease(rxMap, rxConsumer, rxHead);
        INT_AT.setRelease(fillMap, fillProducer, fillHead);
        taken = 0;
        if (((int) fillMap.get(ValueLayout.JAVA_INT, fillFlags) & XDP_RING_NEED_WAKEUP) != 0) {
            LinuxNative.recv(errno, fd, MemorySegment.NULL, 0, LinuxNative.MSG_DONTWAIT);
        }
    }

    /**
     * The queue has an AF_XDP socket already: another process's (an lbd upgrade's other process), or one closed a
     * moment ago, which the kernel lets go of a little after the close.
     */
    public static final class QueueBusyException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        QueueBusyException(String message) {
            super(message, null, false, false);
        }
    }

    /** The interface has no such queue: the workers past its queues have no AF_XDP socket on it. */
    public static final class NoSuchQueueException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        NoSuchQueueException(String message) {
            super(message, null, false, false);
        }
    }

    private void check(int rc, String what) {
        if (rc < 0 && LinuxNative.errno(errno) == EINVAL && what.startsWith("bind")) {
            throw new NoSuchQueueException("cannot " + what + " on the AF_XDP socket of " + interfaceName + ": "
                    + LinuxNative.strerror(EINVAL) + " (no such queue)");
        }
        if (rc < 0 && LinuxNative.errno(errno) == EBUSY) {
            throw new QueueBusyException("cannot " + what + " on the AF_XDP socket of " + interfaceName + ": "
                    + LinuxNative.strerror(EBUSY) + " (another AF_XDP socket has the queue: another process's, or one"
                    + " closed a moment ago)");
        }
        if (rc < 0) {
            throw new DrSystemException("cannot " + what + " on the AF_XDP socket of " + interfaceName + ": "
                    + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
    }

    @Override
    public void close() {
        for (MemorySegment m : new MemorySegment[] {rxMap, fillMap, txMap, completionMap}) {
            if (m != null) {
                LinuxNative.munmap(errno, m, m.byteSize());
            }
        }
        LinuxNative.close(errno, fd);
        arena.close();
    }
}
