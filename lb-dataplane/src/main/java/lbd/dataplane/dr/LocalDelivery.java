package lbd.dataplane.dr;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import lbd.dataplane.dr.sys.TunDevice;

/**
 * The way into the director's own IP stack for connections scheduled to a local gate destination
 * ({@link lbd.dataplane.table.Destination#LOCAL_NODE}, e.g. {@code fallback=127.0.0.1:80 gate}): IPVS hands such
 * a packet to its host's input path unchanged; here the worker writes it, still addressed to the VIP, into a
 * TUN device that the control plane has set up so that the kernel accepts the VIP from it (and only from it).
 *
 * <p>The device is opened on demand by the DR owner thread ({@link DrDataPlane#enableLocalDelivery}); workers
 * read it through a volatile field. Until then a local packet is dropped and counted.
 */
final class LocalDelivery {

    private static final ValueLayout.OfShort U16_NATIVE = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;

    private volatile TunDevice device;

    TunDevice device() {
        return device;
    }

    void device(TunDevice d) {
        device = d;
    }

    /**
     * Writes the IP packet of a received frame to the device (worker thread; allocates nothing). The frame is
     * consumed: its Ethernet header is overwritten by the virtio-net header the device reads in front of the
     * packet — the received one's offload state, its offsets moved from the frame's start to the IP header's.
     *
     * @param receivedHeader the virtio-net header the frame came with, or null when it came without one
     * @param frame          the frame; its IP header at {@code l3} (at least {@link TunDevice#HEADER} bytes in)
     * @return true when the kernel took it
     */
    boolean deliver(MemorySegment errno, MemorySegment receivedHeader, MemorySegment frame, int l3, int length) {
        TunDevice d = device;
        if (d == null || l3 < TunDevice.HEADER) {
            return false;
        }
        writeTunHeader(receivedHeader, frame, l3);
        int n = TunDevice.HEADER + length - l3;
        return d.write(errno, frame.address() + l3 - TunDevice.HEADER, n);
    }

    /**
     * Writes the virtio-net header the TUN device reads into the {@link TunDevice#HEADER} bytes in front of the IP
     * header at {@code l3}: the received frame's offload state (checksum to complete, segmentation), with its
     * offsets moved from the frame's start to the IP header's; all zero (nothing to do) without one.
     */
    static void writeTunHeader(MemorySegment receivedHeader, MemorySegment frame, int l3) {
        int at = l3 - TunDevice.HEADER;
        if (receivedHeader == null) {
            frame.set(ValueLayout.JAVA_LONG_UNALIGNED, at, 0L);
            frame.set(U16_NATIVE, at + 8, (short) 0);
            return;
        }
        int flags = receivedHeader.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        int gsoType = receivedHeader.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
        int headerLength = receivedHeader.get(U16_NATIVE, 2) & 0xffff;
        short gsoSize = receivedHeader.get(U16_NATIVE, 4);
        int checksumStart = receivedHeader.get(U16_NATIVE, 6) & 0xffff;
        short checksumOffset = receivedHeader.get(U16_NATIVE, 8);
        if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0) {
            checksumStart = Math.max(0, checksumStart - l3);
        }
        headerLength = Math.max(0, headerLength - l3);
        frame.set(ValueLayout.JAVA_BYTE, at, (byte) flags);
        frame.set(ValueLayout.JAVA_BYTE, at + 1, (byte) gsoType);
        frame.set(U16_NATIVE, at + 2, (short) headerLength);
        frame.set(U16_NATIVE, at + 4, gsoSize);
        frame.set(U16_NATIVE, at + 6, (short) checksumStart);
        frame.set(U16_NATIVE, at + 8, checksumOffset);
    }
}
