package lbd.dataplane.dr.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import lbd.sys.LinuxNative;

/**
 * A TUN device (layer 3, no packet-information prefix, with a virtio-net header in front of each packet)
 * through which the DR workers hand packets to this host's own IP stack: a write is a packet the kernel
 * receives on the device. The device lives as long as this descriptor: closing it (or the process ending)
 * removes the device with its addresses and routes.
 *
 * <p>{@link #write} is safe from several threads at once: each write(2) is one whole packet.
 */
public final class TunDevice implements AutoCloseable {

    /** Bytes of virtio-net header in front of each packet written ({@code struct virtio_net_hdr}). */
    public static final int HEADER = LinuxNative.VIRTIO_NET_HDR_SIZE;

    private final String name;
    private final int fd;

    private TunDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * Creates the device (or attaches to an existing one of that name).
     *
     * @throws DrSystemException when the kernel refuses (no /dev/net/tun, no CAP_NET_ADMIN)
     */
    public static TunDevice open(String name) {
        if (name.isEmpty() || name.length() > 15) {
            throw new IllegalArgumentException("an interface name has 1 to 15 characters: " + name);
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(tmp);
            int fd = LinuxNative.open(errno, tmp.allocateFrom("/dev/net/tun"), LinuxNative.O_RDWR | LinuxNative.O_CLOEXEC);
            if (fd < 0) {
                throw new DrSystemException("cannot open /dev/net/tun: " + LinuxNative.strerror(LinuxNative.errno(errno))
                        + " (local delivery of direct-routed connections needs the tun driver and CAP_NET_ADMIN)");
            }
            MemorySegment ifreq = tmp.allocate(40, 8); // struct ifreq: a 16-byte name, then a union (flags first)
            ifreq.setString(0, name);
            ifreq.set(ValueLayout.JAVA_SHORT, 16,
                    (short) (LinuxNative.IFF_TUN | LinuxNative.IFF_NO_PI | LinuxNative.IFF_VNET_HDR));
            if (LinuxNative.ioctl(errno, fd, LinuxNative.TUNSETIFF, ifreq) < 0) {
                int e = LinuxNative.errno(errno);
                LinuxNative.close(errno, fd);
                throw new DrSystemException("cannot create the tun device " + name + ": " + LinuxNative.strerror(e));
            }
            return new TunDevice(name, fd);
        }
    }

    public String name() {
        return name;
    }

    /**
     * Hands one packet to the kernel: {@code length} bytes at native address {@code packet}, which start with a
     * {@link #HEADER}-byte virtio-net header (offsets in it counted from the IP header) and then the IP packet.
     *
     * @param errno the calling thread's errno capture segment ({@link LinuxNative#newErrnoSegment})
     * @return true when the kernel took the whole packet
     */
    public boolean write(MemorySegment errno, long packet, int length) {
        return LinuxNative.write(errno, fd, packet, length) == length;
    }

    @Override
    public void close() {
        try (Arena tmp = Arena.ofConfined()) {
            LinuxNative.close(LinuxNative.newErrnoSegment(tmp), fd);
        }
    }
}
