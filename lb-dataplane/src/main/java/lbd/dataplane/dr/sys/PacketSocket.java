package lbd.dataplane.dr.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import lbd.sys.LinuxNative;

/**
 * An AF_PACKET raw socket bound to one interface, optionally a member of a PACKET_FANOUT group (flow hash,
 * so that every packet of a flow reaches the same member), with a BPF filter for the DR VIPs.
 *
 * <p>Receiving reads a TPACKET_V3 memory-mapped ring: the kernel fills blocks of frames and hands each block
 * over with one status word, so a busy worker makes no system call per received frame (it polls only when
 * the ring is empty). Where the ring cannot be set up (an old kernel), it falls back to one non-blocking
 * recvmsg per frame. Forwarded frames are queued and sent with one sendmmsg per batch.
 *
 * <p>With a virtio-net header ({@code PACKET_VNET_HDR}), each frame travels with the kernel's offload state:
 * a coalesced (GRO/TSO) frame larger than the MTU, or one whose TCP checksum is left to the hardware, is
 * sent back with the same header, and the kernel segments it and fills the checksum on the way out. Without
 * it such frames could not be forwarded as they are.
 *
 * <p>Buffer layout for {@link #receive}, {@link #queue} and {@link #send}: {@link #headerLength()} bytes of
 * virtio-net header (0 without one), then the Ethernet frame; lengths are the frame's. Used by one thread
 * at a time.
 */
public final class PacketSocket implements AutoCloseable {

    private static final int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;
    private static final int EINVAL = 22;
    private static final int PACKET_STATISTICS = 6;
    private static final int PACKET_FANOUT_CBPF = 6;
    private static final int PACKET_FANOUT_DATA = 22;

    /** The most frames one {@link #flush} sends. */
    public static final int SEND_BATCH = 64;

    private static final VarHandle INT_AT = ValueLayout.JAVA_INT.varHandle();
    private static final int NAME_STRIDE = 24; // struct sockaddr_ll (20 bytes), 8-byte aligned

    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = LinuxNative.newErrnoSegment(arena);
    private final MemorySegment pollFd = arena.allocate(8, 4);
    private final MemorySegment statsValue = arena.allocate(12, 4); // struct tpacket_stats_v3
    private final MemorySegment stats = arena.allocate(4, 4);       // its length, in and out
    private final String interfaceName;
    private final int fd;
    private int header;

    // recvmsg fallback: struct msghdr and one iovec.
    private final MemorySegment msghdr = arena.allocate(56, 8);
    private final MemorySegment iovec = arena.allocate(16, 8);

    // sendmmsg: SEND_BATCH struct mmsghdr (a msghdr and its sent length, 64 bytes), one iovec each, and one
    // struct sockaddr_ll each naming the interface the frame leaves on (any interface, not only the bound one).
    private final MemorySegment sendVector = arena.allocate(64L * SEND_BATCH, 8);
    private final MemorySegment sendIovecs = arena.allocate(16L * SEND_BATCH, 8);
    private final MemorySegment sendNames = arena.allocate((long) NAME_STRIDE * SEND_BATCH, 8);
    private int boundIndex;
    private final MemorySegment[] sendVectorFrom = new MemorySegment[SEND_BATCH];
    private int queued;

    // TPACKET_V3 receive ring: blockCount blocks of blockSize bytes; null when the socket uses recvmsg.
    private MemorySegment ring;
    private int blockSize;
    private int blockCount;
    private int block;         // the block being read, or the next one to wait for
    private boolean blockOpen; // the current block is ours (TP_STATUS_USER) until we hand it back
    private int packetsLeft;
    private long packet;       // offset of the next struct tpacket3_hdr in the ring

    private PacketSocket(String interfaceName, int fd) {
        this.interfaceName = interfaceName;
        this.fd = fd;
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, LinuxNative.POLLIN);
        msghdr.set(ValueLayout.ADDRESS, 16, iovec);  // msg_iov
        msghdr.set(ValueLayout.JAVA_LONG, 24, 1);    // msg_iovlen
        // Everything in the send vector but each frame's address and length is fixed: set it once.
        for (int i = 0; i < SEND_BATCH; i++) {
            long m = 64L * i;
            sendVector.set(ValueLayout.ADDRESS, m + 16, sendIovecs.asSlice(16L * i, 16)); // msg_iov
            sendVector.set(ValueLayout.JAVA_LONG, m + 24, 1);                            // msg_iovlen
            long name = (long) NAME_STRIDE * i;
            sendNames.set(ValueLayout.JAVA_SHORT, name, (short) LinuxNative.AF_PACKET);    // sll_family
            sendNames.set(ValueLayout.JAVA_SHORT, name + 2, LinuxNative.htons(LinuxNative.ETH_P_ALL)); // the
            // kernel then reads the protocol from the frame's own header, as for a frame sent without an address
            sendVector.set(ValueLayout.ADDRESS, m, sendNames.asSlice(name, NAME_STRIDE)); // msg_name
            sendVector.set(ValueLayout.JAVA_INT, m + 8, LinuxNative.SOCKADDR_LL_SIZE);   // msg_namelen
            sendVectorFrom[i] = sendVector.asSlice(m);
        }
    }

    /**
     * Opens a plain socket (no ring, no virtio-net header) on the interface, e.g. for ARP.
     *
     * @param fanoutGroup a PACKET_FANOUT group id (0..65535) to join, or -1 for none
     */
    public static PacketSocket open(String interfaceName, int interfaceIndex, BpfFilter filter, int fanoutGroup) {
        return open(interfaceName, interfaceIndex, filter, fanoutGroup, false, 0, 0);
    }

    /**
     * Opens a socket on the interface. The filter is attached before the socket is bound to a protocol, so no
     * unfiltered frame is ever queued.
     *
     * @param fanoutGroup   a PACKET_FANOUT group id (0..65535) to join, or -1 for none
     * @param offloads      carry a virtio-net header with every frame (see the class comment)
     * @param ringBlocks    blocks of the TPACKET_V3 receive ring; 0: no ring (recvmsg)
     * @param ringBlockSize bytes per block, a multiple of the page size
     */
    public static PacketSocket open(String interfaceName, int interfaceIndex, BpfFilter filter, int fanoutGroup,
                                    boolean offloads, int ringBlocks, int ringBlockSize) {
        return open(interfaceName, interfaceIndex, filter, fanoutGroup, false, offloads, ringBlocks, ringBlockSize);
    }

    /**
     * As above; {@code byQueue}: the group gives each frame to member (receive queue mod members), as the AF_XDP
     * sockets of the same workers get the queues' frames ({@link QueueFanoutProgram}), instead of by flow hash.
     */
    public static PacketSocket open(String interfaceName, int interfaceIndex, BpfFilter filter, int fanoutGroup,
                                    boolean byQueue, boolean offloads, int ringBlocks, int ringBlockSize) {
        PacketSocket s;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(tmp);
            int fd = LinuxNative.socket(errno, LinuxNative.AF_PACKET, LinuxNative.SOCK_RAW, 0);
            if (fd < 0) {
                throw new DrSystemException("cannot open an AF_PACKET socket: "
                        + LinuxNative.strerror(LinuxNative.errno(errno))
                        + " (direct routing needs root or CAP_NET_RAW)");
            }
            s = new PacketSocket(interfaceName, fd);
        }
        try {
            s.attach(filter);
            s.setInt(LinuxNative.SOL_PACKET, LinuxNative.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
            if (offloads) {
                // Before the ring: the ring's frame layout depends on it.
                s.setInt(LinuxNative.SOL_PACKET, LinuxNative.PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
                s.header = LinuxNative.VIRTIO_NET_HDR_SIZE;
            }
            if (ringBlocks > 0) {
                s.mapRing(ringBlocks, ringBlockSize);
            }
            s.bind(interfaceIndex);
            if (fanoutGroup >= 0) {
                s.joinFanout(fanoutGroup, byQueue ? PACKET_FANOUT_CBPF : LinuxNative.PACKET_FANOUT_HASH);
                if (byQueue) {
                    s.setFanoutProgram();
                }
            }
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Bytes of virtio-net header in front of every frame in this socket's buffers (0 or 10). */
    public int headerLength() {
        return header;
    }

    /**
     * Writes, at {@code at} in {@code s}, a virtio-net header asking for nothing (the frame behind it is complete),
     * when this socket carries one: what {@link #queue} then sends.
     */
    public void clearHeader(MemorySegment s, long at) {
        for (int i = 0; i < header; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) 0);
        }
    }

    /** True when frames come from the memory-mapped ring rather than recvmsg. */
    public boolean hasRing() {
        return ring != null;
    }

    /** Replaces the BPF filter (a VIP was added or removed). */
    public void attach(BpfFilter filter) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment prog = filter.toSockFprog(tmp);
            check(LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_SOCKET, LinuxNative.SO_ATTACH_FILTER, prog, 16),
                    "attach the BPF filter");
        }
    }

    @SuppressWarnings("restricted") // sizing the kernel's mapping, whose length we chose
    private void mapRing(int blocks, int size) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment version = tmp.allocate(ValueLayout.JAVA_INT);
            version.set(ValueLayout.JAVA_INT, 0, LinuxNative.TPACKET_V3);
            if (LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_PACKET, LinuxNative.PACKET_VERSION, version, 4) < 0) {
                return; // no TPACKET_V3: stay on recvmsg
            }
            // struct tpacket_req3: block size, block count, frame size, frame count, retire timeout (ms),
            // private area size, feature word.
            int frameSize = 2048;
            MemorySegment req = tmp.allocate(28, 4);
            req.set(ValueLayout.JAVA_INT, 0, size);
            req.set(ValueLayout.JAVA_INT, 4, blocks);
            req.set(ValueLayout.JAVA_INT, 8, frameSize);
            req.set(ValueLayout.JAVA_INT, 12, (int) ((long) size * blocks / frameSize));
            req.set(ValueLayout.JAVA_INT, 16, 2); // a partly filled block is handed over after 2 ms
            check(LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_PACKET, LinuxNative.PACKET_RX_RING, req, 28),
                    "set up the TPACKET_V3 receive ring");
        }
        long length = (long) size * blocks;
        MemorySegment mapped = LinuxNative.mmap(errno, length, LinuxNative.PROT_READ_WRITE, LinuxNative.MAP_SHARED, fd);
        if (mapped.address() == -1L) {
            throw new DrSystemException("cannot map the receive ring of " + interfaceName + " (" + length
                    + " bytes): " + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
        ring = mapped.reinterpret(length);
        blockSize = size;
        blockCount = blocks;
    }

    private void bind(int interfaceIndex) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment sll = tmp.allocate(LinuxNative.SOCKADDR_LL_SIZE, 4);
            sll.set(ValueLayout.JAVA_SHORT, 0, (short) LinuxNative.AF_PACKET);
            sll.set(ValueLayout.JAVA_SHORT, 2, LinuxNative.htons(LinuxNative.ETH_P_ALL));
            sll.set(ValueLayout.JAVA_INT, 4, interfaceIndex);
            check(LinuxNative.bind(errno, fd, sll, LinuxNative.SOCKADDR_LL_SIZE), "bind to the interface");
            boundIndex = interfaceIndex;
        }
    }

    /**
     * Receives every multicast frame of the interface for as long as the socket is open (PACKET_MR_ALLMULTI): the
     * neighbour solicitations for an IPv6 VIP go to its solicited-node group, which a NIC filters out otherwise.
     */
    public void receiveAllMulticast(int interfaceIndex) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment mreq = tmp.allocate(16, 4); // struct packet_mreq
            mreq.set(ValueLayout.JAVA_INT, 0, interfaceIndex);
            mreq.set(ValueLayout.JAVA_SHORT, 4, (short) LinuxNative.PACKET_MR_ALLMULTI);
            check(LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_PACKET, LinuxNative.PACKET_ADD_MEMBERSHIP, mreq, 16),
                    "join all multicast groups");
        }
    }

    /**
     * Joins the PACKET_FANOUT group (flow hash). PACKET_IGNORE_OUTGOING does not reach a socket in a group: the kernel
     * asks the group's hook, which skips frames this host sends only when the group was made with
     * PACKET_FANOUT_FLAG_IGNORE_OUTGOING (Linux 6.2). An older kernel ignores a flag it does not know (fanout_add
     * checks the type, not the flags); should one refuse it, the join is made again without it. Either way the filter
     * drops those frames ({@link BpfFilter}), after the kernel has hashed them.
     */
    private void joinFanout(int group, int mode) {
        int hash = (group & 0xffff) | (mode << 16);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment v = tmp.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, hash | (PACKET_FANOUT_FLAG_IGNORE_OUTGOING << 16));
            if (LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_PACKET, LinuxNative.PACKET_FANOUT, v, 4) == 0) {
                return;
            }
            if (LinuxNative.errno(errno) != EINVAL) {
                check(-1, "set PACKET_FANOUT");
            }
        }
        setInt(LinuxNative.SOL_PACKET, LinuxNative.PACKET_FANOUT, hash, "PACKET_FANOUT");
    }

    /** The group's member for each frame: by receive queue ({@link QueueFanoutProgram}). */
    private void setFanoutProgram() {
        try (Arena tmp = Arena.ofConfined()) {
            check(LinuxNative.setsockopt(errno, fd, LinuxNative.SOL_PACKET, PACKET_FANOUT_DATA,
                    QueueFanoutProgram.toSockFprog(tmp), 16), "set the fanout group's program (PACKET_FANOUT_DATA)");
        }
    }

    private void setInt(int level, int name, int value, String what) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment v = tmp.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            check(LinuxNative.setsockopt(errno, fd, level, name, v, 4), "set " + what);
        }
    }

    private void check(int rc, String what) {
        if (rc < 0) {
            throw new DrSystemException("cannot " + what + " on the packet socket of " + interfaceName + ": "
                    + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
    }

    /**
     * Copies the next received frame (with its virtio-net header, if any) into the buffer, without blocking.
     *
     * @return the frame's length, or 0 when nothing is queued
     */
    public int receive(MemorySegment buffer) {
        return ring != null ? receiveFromRing(buffer) : receiveWithRecvmsg(buffer);
    }

    private int receiveFromRing(MemorySegment buffer) {
        while (packetsLeft == 0) {
            long base = (long) block * blockSize;
            if (blockOpen) {
                // struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1 (block_status at 8)
                INT_AT.setRelease(ring, base + 8, LinuxNative.TP_STATUS_KERNEL);
                blockOpen = false;
                block = (block + 1) % blockCount;
                base = (long) block * blockSize;
            }
            int status = (int) INT_AT.getAcquire(ring, base + 8);
            if ((status & LinuxNative.TP_STATUS_USER) == 0) {
                return 0;
            }
            blockOpen = true;
            packetsLeft = ring.get(ValueLayout.JAVA_INT, base + 12);
            packet = base + ring.get(ValueLayout.JAVA_INT, base + 16);
        }
        // struct tpacket3_hdr: next offset @0, snaplen @12, mac offset @24; a virtio-net header, when enabled,
        // sits right before the frame.
        int next = ring.get(ValueLayout.JAVA_INT, packet);
        int length = (int) Math.min(ring.get(ValueLayout.JAVA_INT, packet + 12), buffer.byteSize() - header);
        int mac = Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, packet + 24));
        MemorySegment.copy(ring, packet + mac - header, buffer, 0, header + length);
        packetsLeft--;
        packet += next;
        return length;
    }

    private int receiveWithRecvmsg(MemorySegment buffer) {
        iovec.set(ValueLayout.ADDRESS, 0, buffer);
        iovec.set(ValueLayout.JAVA_LONG, 8, buffer.byteSize());
        long n = LinuxNative.recvmsg(errno, fd, msghdr, LinuxNative.MSG_DONTWAIT);
        if (n >= header) {
            return (int) n - header;
        }
        int e = LinuxNative.errno(errno);
        // ENETDOWN: the interface went down since the last read (the kernel reports it once, on this read); the
        // socket receives again once the interface is up, as a ring's does.
        if (n >= 0 || e == LinuxNative.EAGAIN || e == LinuxNative.EINTR || e == LinuxNative.ENETDOWN) {
            return 0;
        }
        throw new DrSystemException("receive on " + interfaceName + " failed: " + LinuxNative.strerror(e));
    }

    /**
     * Frames the kernel dropped for this socket since the last call (its receive ring or queue was full:
     * PACKET_STATISTICS, which the read resets).
     */
    public long dropsSinceLastRead() {
        stats.set(ValueLayout.JAVA_INT, 0, 12); // struct tpacket_stats_v3 (tpacket_stats without a ring): 12 or 8
        if (LinuxNative.getsockopt(errno, fd, LinuxNative.SOL_PACKET, PACKET_STATISTICS, statsValue, stats) < 0) {
            return 0;
        }
        return Integer.toUnsignedLong(statsValue.get(ValueLayout.JAVA_INT, 4)); // tp_drops
    }

    /** Waits until a frame is queued or the timeout passes. */
    public void awaitReadable(int timeoutMillis) {
        LinuxNative.poll(errno, pollFd, 1, timeoutMillis);
    }

    /** The socket's descriptor, for waiting on several sockets at once ({@link PacketSocketPoll}). */
    int fd() {
        return fd;
    }

    /** The index of the interface the socket is bound to. */
    public int interfaceIndex() {
        return boundIndex;
    }

    /**
     * Queues a frame for the next {@link #flush}, to leave on the interface the socket is bound to; the buffer must
     * stay untouched until then. A full queue is flushed first.
     *
     * @return frames the kernel refused while flushing a full queue (usually 0)
     */
    public int queue(MemorySegment buffer, int frameLength) {
        return queue(buffer.address(), frameLength, boundIndex);
    }

    /**
     * Queues a frame for the next {@link #flush}, to leave on interface {@code interfaceIndex} (any interface of the
     * host, not only the bound one): {@link #headerLength()} bytes of virtio-net header at native address
     * {@code address}, then the frame. Allocates nothing; the memory must stay untouched until the flush.
     *
     * @return frames the kernel refused while flushing a full queue (usually 0)
     */
    public int queue(long address, int frameLength, int interfaceIndex) {
        int refused = queued == SEND_BATCH ? flush() : 0;
        long iov = 16L * queued;
        sendIovecs.set(ValueLayout.JAVA_LONG, iov, address);
        sendIovecs.set(ValueLayout.JAVA_LONG, iov + 8, header + frameLength);
        sendNames.set(ValueLayout.JAVA_INT, (long) NAME_STRIDE * queued + 4, interfaceIndex); // sll_ifindex
        queued++;
        return refused;
    }

    /**
     * Sends every queued frame with as few sendmmsg calls as the kernel allows (normally one).
     *
     * @return how many queued frames were not sent
     */
    public int flush() {
        int sent = 0;
        int refused = 0;
        while (sent + refused < queued) {
            int n = LinuxNative.sendmmsg(errno, fd, sendVectorFrom[sent + refused], queued - sent - refused, 0);
            if (n > 0) {
                sent += n;
            } else if (n < 0 && LinuxNative.errno(errno) == LinuxNative.EINTR) {
                continue;
            } else {
                refused++; // skip the frame the kernel refused and go on with the rest
            }
        }
        queued = 0;
        return refused;
    }

    /** Sends one frame now (ARP); a virtio-net header in front of it must be zero (no offload). */
    public boolean send(MemorySegment buffer, int frameLength) {
        return LinuxNative.sendto(errno, fd, buffer, header + frameLength, 0) == header + frameLength;
    }

    @Override
    public void close() {
        if (ring != null) {
            LinuxNative.munmap(errno, ring, ring.byteSize());
            ring = null;
        }
        LinuxNative.close(errno, fd);
        arena.close();
    }
}
