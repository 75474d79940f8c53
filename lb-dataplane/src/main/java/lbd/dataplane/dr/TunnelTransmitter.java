package lbd.dataplane.dr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import lbd.dataplane.dr.packet.FrameParser;
import lbd.dataplane.dr.packet.Ipv4Tunnel;
import lbd.dataplane.dr.packet.Ipv6Tunnel;
import lbd.dataplane.dr.packet.Net;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.table.Egress;

/**
 * One DR worker's ipip transmitter: puts the client's packet in an outer header to the real server —
 * IPv4-in-IPv4, or IPv6-in-IPv6 for an IPv6 service — as IPVS's tunnel transmitters send it, without allocating.
 * A plain frame is encapsulated where it lies (the outer header goes into the headroom in front of it); a
 * coalesced (GRO/TSO) frame is cut into its segments here, each written whole into a segment area and queued,
 * since the kernel cannot segment inside a tunnel that a packet socket hands it. Owned by its worker's thread.
 */
final class TunnelTransmitter {

    /** The most room an outer header takes in front of a frame's network header (IPv6's). */
    static final int MAX_OVERHEAD = Ipv6Tunnel.HEADER;

    private static final int SEGMENT_AREA = 1 << 18; // flushed whenever full
    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;

    private final PacketSocket socket; // the one the worker's frames leave through
    private final DrStats stats;
    private MemorySegment segmentArea;
    private int segmentAreaUsed;
    private int outerId; // the identification of the next outer IPv4 header
    private long sendOffset;
    private int sendLength;

    TunnelTransmitter(PacketSocket socket, DrStats stats) {
        this.socket = socket;
        this.stats = stats;
    }

    /** Worker thread, at start: the segment area, in the worker's arena. */
    void start(Arena arena) {
        segmentArea = arena.allocate(SEGMENT_AREA, 64);
    }

    /** The worker flushed its queue: the segment area is free again. */
    void flushed() {
        segmentAreaUsed = 0;
    }

    /** The segment size of a coalesced (GRO/TSO) frame as its virtio-net header says; 0 for a plain frame. */
    static int gsoSize(MemorySegment receivedHeader) {
        if (receivedHeader == null || (receivedHeader.get(ValueLayout.JAVA_BYTE, 1) & 0x7f) == 0) {
            return 0;
        }
        return Short.toUnsignedInt(receivedHeader.get(ValueLayout.JAVA_SHORT_UNALIGNED, 4));
    }

    /**
     * Whether the received frame left its TCP (or UDP) checksum to the hardware (only the pseudo-header sum in it).
     */
    static boolean needsChecksum(MemorySegment receivedHeader) {
        return receivedHeader != null
                && (receivedHeader.get(ValueLayout.JAVA_BYTE, 0) & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
    }

    /**
     * A plain (not coalesced) frame, encapsulated where it lies: the inner packet one hop shorter, its checksums
     * complete, the outer header and a new Ethernet header (and a virtio-net header asking for nothing) moved into
     * the headroom. Then {@link #sendOffset} and {@link #sendLength} say what to queue.
     *
     * @param memory  the batch's slots; the frame parsed by {@code p} starts at {@code frameAt} in it, with at least
     *                {@link #MAX_OVERHEAD} bytes free in front of its virtio-net header
     */
    void inPlace(Egress out, long sourceMac, FrameParser p, MemorySegment memory, long frameAt,
                 boolean needsChecksum) {
        MemorySegment f = p.frame();
        int l3 = p.networkOffset();
        int l4 = p.transportOffset();
        long innerAt = frameAt + l3;
        long tcpAt = frameAt + l4;
        int overhead;
        if (out.tunnelsOverIpv6()) {
            int tcpLength = Ipv6Tunnel.HEADER + Net.u16(f, l3 + 4) - (l4 - l3);
            Ipv6Tunnel.prepareInner(memory, innerAt, tcpAt, tcpLength, needsChecksum, p.isUdp());
            sendLength = Ipv6Tunnel.writeOuter(memory, innerAt, out.nextHopMac(), sourceMac,
                    out.tunnelSource6High(), out.tunnelSource6Low(), out.tunnelDestination6High(),
                    out.tunnelDestination6Low());
            overhead = Ipv6Tunnel.HEADER;
        } else {
            int tcpLength = Net.u16(f, l3 + 2) - (l4 - l3);
            Ipv4Tunnel.prepareInner(memory, innerAt, tcpAt, tcpLength, needsChecksum, p.isUdp());
            sendLength = Ipv4Tunnel.writeOuter(memory, innerAt, out.nextHopMac(), sourceMac, out.tunnelSource(),
                    out.tunnelDestination(), outerId++);
            overhead = Ipv4Tunnel.HEADER;
        }
        sendOffset = innerAt - overhead - FrameParser.ETH_HEADER - socket.headerLength();
        socket.clearHeader(memory, sendOffset);
    }

    /** Where the frame {@link #inPlace} encapsulated starts in the slots (its virtio-net header first). */
    long sendOffset() {
        return sendOffset;
    }

    /** Its length, Ethernet header to the inner packet's end. */
    int sendLength() {
        return sendLength;
    }

    /**
     * A coalesced frame ({@code gsoSize} bytes of payload per segment): each segment written whole into the segment
     * area — its own IP and TCP headers (length, IPv4 identification, sequence number, flags, checksums as the
     * sender's TCP would have made them), in its own outer header — and queued to leave on {@code interfaceIndex}.
     */
    void segments(Egress out, long sourceMac, FrameParser p, int gsoSize, int interfaceIndex) {
        MemorySegment f = p.frame();
        int l3 = p.networkOffset();
        int l4 = p.transportOffset();
        int tcpHeader = (Net.u8(f, l4 + 12) >>> 4) * 4;
        boolean v6 = out.tunnelsOverIpv6();
        int overhead = v6 ? Ipv6Tunnel.HEADER : Ipv4Tunnel.HEADER;
        int payload = p.length() - l4 - tcpHeader;
        int header = socket.headerLength();
        int ipHeaders = l4 - l3; // IPv4 with options, or IPv6 with extension headers
        int innerHeaders = ipHeaders + tcpHeader;
        int id = v6 ? 0 : Net.u16(f, l3 + 4);
        int sequence = Net.u32(f, l4 + 4);
        int flags = Net.u8(f, l4 + 13);
        int sent = 0;
        for (int k = 0; sent < payload; k++) {
            int chunk = Math.min(gsoSize, payload - sent);
            int stride = header + FrameParser.ETH_HEADER + overhead + innerHeaders + chunk;
            if (segmentAreaUsed + stride > SEGMENT_AREA) {
                stats.add(DrStats.SEND_FAILED, socket.flush());
                segmentAreaUsed = 0;
            }
            long at = segmentAreaUsed;
            long inner = at + header + FrameParser.ETH_HEADER + overhead;
            long tcp = inner + ipHeaders;
            MemorySegment.copy(f, l3, segmentArea, inner, innerHeaders);
            MemorySegment.copy(f, l4 + tcpHeader + sent, segmentArea, tcp + tcpHeader, chunk);
            Net.putU32(segmentArea, tcp + 4, sequence + sent);
            boolean last = sent + chunk == payload;
            int segmentFlags = flags & ~(last ? 0 : FrameParser.TCP_FIN | TCP_PSH) & ~(k == 0 ? 0 : TCP_CWR);
            segmentArea.set(ValueLayout.JAVA_BYTE, tcp + 13, (byte) segmentFlags);
            int length;
            if (v6) {
                Net.putU16(segmentArea, inner + 4, innerHeaders + chunk - Ipv6Tunnel.HEADER);
                Ipv6Tunnel.prepareInner(segmentArea, inner, tcp, tcpHeader + chunk, true);
                length = Ipv6Tunnel.writeOuter(segmentArea, inner, out.nextHopMac(), sourceMac,
                        out.tunnelSource6High(), out.tunnelSource6Low(), out.tunnelDestination6High(),
                        out.tunnelDestination6Low());
            } else {
                Net.putU16(segmentArea, inner + 2, innerHeaders + chunk);
                Net.putU16(segmentArea, inner + 4, id + k);
                Ipv4Tunnel.prepareInner(segmentArea, inner, tcp, tcpHeader + chunk, true);
                length = Ipv4Tunnel.writeOuter(segmentArea, inner, out.nextHopMac(), sourceMac, out.tunnelSource(),
                        out.tunnelDestination(), outerId++);
            }
            socket.clearHeader(segmentArea, at);
            stats.add(DrStats.SEND_FAILED, socket.queue(segmentArea.address() + at, length, interfaceIndex));
            segmentAreaUsed += (stride + 7) & ~7;
            sent += chunk;
        }
    }

}
