package lbd.director.dr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.packet.Net;
import lbd.director.host.ProcValue;

/**
 * A network interface as /sys/class/net shows it: what direct routing needs to know to receive on it and send
 * on it (its index, MAC, MTU, link type, whether it is up, and the bond or bridge it is a port of).
 *
 * @param master the bond, team or bridge the interface is a port of; empty when none. Frames of a port reach
 *               the master too, so lbd receives on the master only.
 */
public record HostInterface(String name, int index, long mac, int mtu, int type, boolean up, Optional<String> master) {

    /** ARPHRD_ETHER: Ethernet (also VLAN interfaces, bonds, bridges, veth). */
    public static final int ETHERNET = 1;
    private static final int IFF_UP = 0x1;
    private static final Path SYS = Path.of("/sys/class/net");
    private static final Map<Integer, String> NAMES = new ConcurrentHashMap<>(); // index to name, as last found

    /** The interface of that name, or empty when the host has none. */
    public static Optional<HostInterface> read(String name) {
        Path dir = SYS.resolve(name);
        if (!plainName(name) || !Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try {
            int type = Integer.parseInt(ProcValue.read(dir.resolve("type")).strip());
            String address = ProcValue.read(dir.resolve("address")).strip();
            long mac = type == ETHERNET && address.length() == 17 ? Net.parseMac(address) : 0;
            int flags = Integer.decode(ProcValue.read(dir.resolve("flags")).strip());
            Path master = dir.resolve("master");
            Optional<String> masterName = Files.exists(master)
                    ? Optional.of(Files.readSymbolicLink(master).getFileName().toString()) : Optional.empty();
            return Optional.of(new HostInterface(name, ifindex(dir), mac,
                    Integer.parseInt(ProcValue.read(dir.resolve("mtu")).strip()), type, (flags & IFF_UP) != 0,
                    masterName));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // vanished while read, or not readable: as if absent
        }
    }

    /**
     * The index of the interface of that name, or empty when the host has none: one read, for asking again and
     * again whether an interface is still the one it was ({@link BoundInterfaces}).
     */
    public static OptionalInt indexOf(String name) {
        if (!plainName(name)) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(ifindex(SYS.resolve(name)));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty(); // absent, vanished while read, or not readable
        }
    }

    /** Every interface of the host, by name. */
    public static List<HostInterface> all() {
        List<HostInterface> out = new ArrayList<>();
        try (Stream<Path> names = Files.list(SYS)) {
            names.map(p -> p.getFileName().toString()).sorted().forEach(n -> read(n).ifPresent(out::add));
        } catch (IOException e) {
            // no /sys: no interfaces to offer
        }
        return out;
    }

    /**
     * The name of the interface with this index (if_indextoname), or empty; addressless ones included. The last
     * answer per index is remembered and checked with one read (the kernel does not reuse an index soon), so a
     * resolution of many servers does not list /sys for each.
     */
    public static Optional<String> nameOf(int index) {
        String known = NAMES.get(index);
        if (known != null && hasIndex(SYS.resolve(known), index)) {
            return Optional.of(known);
        }
        Optional<String> found = scan(index);
        found.ifPresent(name -> NAMES.put(index, name));
        return found;
    }

    private static boolean hasIndex(Path dir, int index) {
        try {
            return ifindex(dir) == index;
        } catch (IOException | RuntimeException e) {
            return false; // vanished while read
        }
    }

    /** The index in an interface's /sys/class/net directory. */
    private static int ifindex(Path dir) throws IOException {
        return Integer.parseInt(ProcValue.read(dir.resolve("ifindex")));
    }

    /** Whether {@code name} can name an interface's directory under /sys/class/net (not empty, no path). */
    private static boolean plainName(String name) {
        return !name.isEmpty() && !name.contains("/");
    }

    private static Optional<String> scan(int index) {
        try (Stream<Path> names = Files.list(SYS)) {
            return names.filter(p -> hasIndex(p, index)).map(p -> p.getFileName().toString()).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public boolean ethernet() {
        return type == ETHERNET && mac != 0;
    }

    public DrInterface toDrInterface() {
        Path queues = SYS.resolve(name).resolve("queues");
        return new DrInterface(name, index, mac, receiveQueues(queues), transmitQueues(queues));
    }

    /**
     * How many rx-N directories {@code queues} has: the interface's receive queues (a NIC may have more transmit
     * queues, which an AF_XDP socket would also bind to and receive nothing on); 0 when it cannot be read.
     */
    static int receiveQueues(Path queues) {
        return count(queues, "rx-");
    }

    /** How many tx-N directories {@code queues} has: the interface's transmit queues; 0 when it cannot be read. */
    static int transmitQueues(Path queues) {
        return count(queues, "tx-");
    }

    private static int count(Path queues, String prefix) {
        try (Stream<Path> entries = Files.list(queues)) {
            return (int) entries.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
        } catch (IOException e) {
            return 0;
        }
    }
}
