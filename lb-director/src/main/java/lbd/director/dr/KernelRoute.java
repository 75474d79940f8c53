package lbd.director.dr;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import lbd.director.ha.IpCommand;

/**
 * The kernel's answer to "how would this host send to ADDRESS" ({@code ip route get ADDRESS}), as IPVS asks its
 * routing table for each destination: the interface, the gateway when the address is not on a directly connected
 * network, and the source address the route prefers. The control plane asks, at start and with every resolution;
 * the DR workers only read the result in the published tables.
 *
 * @param device  the interface the route leaves on ({@code lo} for an address of this host)
 * @param gateway the next hop when the address is behind a router; empty when directly connected
 * @param source  the preferred source address ({@code src}), empty when the route names none
 * @param local   the address is this host's own ({@code local} route)
 */
public record KernelRoute(String device, Optional<InetAddress> gateway, Optional<InetAddress> source, boolean local) {

    /** The route to {@code address}, or empty when the kernel has none (the reason is then in {@code why[0]}). */
    public static Optional<KernelRoute> lookup(InetAddress address, String[] why) {
        IpCommand.Result r = IpCommand.run(address.getAddress().length == 16 ? "-6" : "-4", "-o", "route", "get",
                address.getHostAddress());
        if (!r.ok()) {
            why[0] = r.output().isEmpty() ? "ip route get failed" : r.output().lines().findFirst().orElse("");
            return Optional.empty();
        }
        Optional<KernelRoute> route = parse(r.output());
        if (route.isEmpty()) {
            why[0] = "cannot read 'ip route get " + address.getHostAddress() + "': " + r.output();
        }
        return route;
    }

    /**
     * One line of {@code ip -o route get}, e.g. {@code 198.18.2.5 via 198.18.1.1 dev eth1 src 198.18.1.10 uid 0 \
     * cache} or {@code local 198.18.0.10 dev lo src 198.18.0.10 uid 0 \ cache <local>}; empty without a device.
     */
    static Optional<KernelRoute> parse(String output) {
        String[] words = output.strip().split("\\s+");
        String device = null;
        InetAddress gateway = null;
        InetAddress source = null;
        for (int i = 0; i + 1 < words.length; i++) {
            switch (words[i]) {
                case "dev" -> device = device == null ? words[i + 1] : device;
                case "via" -> gateway = gateway == null ? literal(words[i + 1].startsWith("inet") && i + 2 < words.length
                        ? words[i + 2] : words[i + 1]) : gateway; // "via inet6 fe80::1" for a next hop of the other family
                case "src" -> source = source == null ? literal(words[i + 1]) : source;
                default -> {
                    // other attributes (uid, table, cache flags) do not matter here
                }
            }
        }
        if (device == null) {
            return Optional.empty();
        }
        boolean local = words.length > 0 && words[0].equals("local");
        return Optional.of(new KernelRoute(device, Optional.ofNullable(gateway), Optional.ofNullable(source), local));
    }

    private static InetAddress literal(String text) {
        if (text.indexOf(':') < 0 && text.indexOf('.') < 0) {
            return null;
        }
        try {
            return InetAddress.getByName(text); // a literal: no name lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
