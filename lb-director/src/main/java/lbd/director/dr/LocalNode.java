package lbd.director.dr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import lbd.dataplane.dr.DrDataPlane;
import lbd.dataplane.dr.DrStartupException;
import lbd.dataplane.dr.packet.Net;
import lbd.director.ha.IpCommand;

/**
 * The host side of IPVS's local node in direct routing: a gate destination at one of the director's own
 * addresses (the classic sorry server, {@code fallback=127.0.0.1:80 gate}). IPVS lets such a packet continue
 * into the director's own stack, where the VIP is a local address. Here the VIP must not be local — the kernel
 * would then take every VIP frame off the wire itself, and answer ARP for it — so the DR workers write the
 * local connections' packets into the TUN device {@value #DEVICE}, and this class makes the kernel accept the
 * VIPs from that device only:
 * <ul>
 *   <li>each DR VIP is an address of {@value #DEVICE} ({@code scope host}), so that the local server may answer
 *       from it; the kernel's automatic {@code local} route for it is taken out of table {@code local}, so that
 *       frames to the VIP arriving on the wire stay non-local (dropped, since the director does not forward),
 *       and the kernel does not answer ARP for it;</li>
 *   <li>{@code ip rule add pref 4183 iif lbd-local lookup 4183} with {@code local default dev lbd-local} in
 *       table 4183: what arrives through the device is delivered locally;</li>
 *   <li>reverse-path filtering on the device is loose ({@code rp_filter=2}): the clients are reached through
 *       the DR interface, not through the device.</li>
 * </ul>
 * The device, its addresses and its routes vanish with lbd's descriptor (even when lbd is killed); the rule is
 * removed on close (a stale one refers to a missing device and matches nothing).
 *
 * <p>lbd-dr thread only.
 */
public final class LocalNode implements AutoCloseable {

    public static final String DEVICE = "lbd-local";
    static final String TABLE = "4183";
    static final String RULE_PREFERENCE = "4183";

    private final DrDataPlane plane;
    private boolean up;
    private Set<Integer> vips = Set.of();

    public LocalNode(DrDataPlane plane) {
        this.plane = plane;
    }

    /** True once the device is set up (a local destination was seen). */
    public boolean isUp() {
        return up;
    }

    /**
     * Sets up the path (first call) and makes {@code wanted} the VIPs it accepts.
     *
     * @throws DrStartupException naming the command that failed and its output
     */
    public void follow(Set<Integer> wanted) {
        if (!up) {
            plane.enableLocalDelivery(DEVICE);
            ip("link", "set", DEVICE, "up");
            write("/proc/sys/net/ipv4/conf/" + DEVICE + "/rp_filter", "2");
            // A rule left by a killed lbd is replaced, not doubled.
            for (int i = 0; i < 8 && IpCommand.run(rule("del")).ok(); i++) {
                // removed one
            }
            ip(rule("add"));
            ip("route", "replace", "local", "default", "dev", DEVICE, "table", TABLE);
            up = true;
        }
        for (int vip : wanted) {
            if (!vips.contains(vip)) {
                String a = Net.formatIpv4(vip);
                IpCommand.Result added = IpCommand.run("addr", "add", a + "/32", "dev", DEVICE, "scope", "host");
                if (!added.ok() && !added.output().contains("exists")) {
                    throw failed("addr add " + a + "/32 dev " + DEVICE, added);
                }
                IpCommand.run("route", "del", "table", "local", "local", a, "dev", DEVICE);
            }
        }
        for (int vip : vips) {
            if (!wanted.contains(vip)) {
                IpCommand.run("addr", "del", Net.formatIpv4(vip) + "/32", "dev", DEVICE);
            }
        }
        vips = Set.copyOf(new HashSet<>(wanted));
    }

    @Override
    public void close() {
        if (up) {
            IpCommand.run(rule("del"));
            up = false;
        }
    }

    private static String[] rule(String verb) {
        return new String[] {"rule", verb, "pref", RULE_PREFERENCE, "iif", DEVICE, "lookup", TABLE};
    }

    private static void ip(String... args) {
        IpCommand.Result r = IpCommand.run(args);
        if (!r.ok()) {
            throw failed(String.join(" ", args), r);
        }
    }

    private static DrStartupException failed(String command, IpCommand.Result r) {
        return new DrStartupException("cannot set up local delivery for a gate destination on this director: 'ip "
                + command + "' failed: " + r.output());
    }

    private static void write(String path, String value) {
        try {
            Files.writeString(Path.of(path), value);
        } catch (IOException e) {
            throw new DrStartupException("cannot set up local delivery for a gate destination on this director: cannot"
                    + " write " + path + ": " + e.getMessage());
        }
    }
}
