package lbd.director.ha;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One IPv4 address configured on an interface, as {@code ip -o -4 addr show} lists it; used to find the subnet
 * (and so the interface and prefix) a VIP belongs to, the broadcast address of a {@code bcast} interface, and
 * this node's own addresses.
 */
record InterfaceAddress(String interfaceName, Inet4Address address, int prefix, Optional<Inet4Address> broadcast) {

    /** True when {@code a} is in this address's subnet. */
    boolean contains(Inet4Address a) {
        int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
        return (bits(a) & mask) == (bits(address) & mask);
    }

    /** The broadcast address: the configured one, else the subnet's highest address (as {@code brd +} sets it). */
    Inet4Address broadcastOrDerived() {
        if (broadcast.isPresent()) {
            return broadcast.get();
        }
        int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
        int b = prefix >= 31 ? -1 : (bits(address) & mask) | ~mask;
        try {
            return (Inet4Address) InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(b).array());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static int bits(Inet4Address a) {
        return ByteBuffer.wrap(a.getAddress()).getInt();
    }

    /** Parses {@code ip -o -4 addr show} output; lines it does not understand are skipped. */
    static List<InterfaceAddress> parse(String ipOutput) {
        List<InterfaceAddress> out = new ArrayList<>();
        for (String line : ipOutput.split("\n")) {
            String[] w = line.strip().split("\\s+");
            // 2: eth0    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0\       valid_lft ...
            if (w.length < 4 || !w[2].equals("inet")) {
                continue;
            }
            String ifname = w[1];
            int at = ifname.indexOf('@'); // veth0@if12
            if (at > 0) {
                ifname = ifname.substring(0, at);
            }
            String[] cidr = w[3].split("/");
            try {
                Inet4Address address = (Inet4Address) InetAddress.ofLiteral(cidr[0]);
                int prefix = cidr.length > 1 ? Integer.parseInt(cidr[1]) : 32;
                Optional<Inet4Address> brd = Optional.empty();
                for (int i = 4; i + 1 < w.length; i++) {
                    if (w[i].equals("brd")) {
                        brd = Optional.of((Inet4Address) InetAddress.ofLiteral(w[i + 1]));
                    }
                }
                out.add(new InterfaceAddress(ifname, address, prefix, brd));
            } catch (RuntimeException e) {
                // not an address line we can use
            }
        }
        return out;
    }

    /** The addresses configured now (empty when ip cannot be run). */
    static List<InterfaceAddress> current() {
        IpCommand.Result r = IpCommand.run("-o", "-4", "addr", "show");
        return r.ok() ? parse(r.output()) : List.of();
    }
}
