package lbd.director.ha;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * heartbeat's haresources: {@code preferred-node resource...}, with backslash continuations and {@code #}
 * comments. lbd understands the resources a load-balancer pair carries: {@code IPaddr::VIP} (also
 * {@code IPaddr2::}, or a bare address) and {@code ldirectord[::FILE]} — lbd itself. Any other resource script
 * is refused: lbd would silently not run it.
 *
 * @param preferredNode     the node that normally owns the resources (wins ties; auto_failback returns them to it)
 * @param vips              the service addresses, in file order
 * @param ldirectordConfig  the ldirectord.cf named by {@code ldirectord::FILE}, resolved against the HA directory
 */
public record HaResources(String preferredNode, List<VipResource> vips, Optional<Path> ldirectordConfig) {

    public HaResources {
        vips = List.copyOf(vips);
    }

    public static HaResources parse(String file, String text, Path haDirectory) {
        List<String> errors = new ArrayList<>();
        String preferred = null;
        List<VipResource> vips = new ArrayList<>();
        Path ldirectord = null;

        String[] lines = text.split("\r?\n", -1);
        StringBuilder logical = new StringBuilder();
        int firstLine = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = HeartbeatLines.withoutComment(lines[i]);
            if (logical.isEmpty()) {
                firstLine = i + 1;
            }
            String stripped = line.stripTrailing();
            if (stripped.endsWith("\\")) {
                logical.append(stripped, 0, stripped.length() - 1).append(' ');
                continue;
            }
            logical.append(stripped);
            String group = logical.toString().strip();
            logical.setLength(0);
            if (group.isEmpty()) {
                continue;
            }
            String where = file + ":" + firstLine + ": ";
            String[] words = group.split("\\s+");
            if (preferred != null && !preferred.equals(words[0])) {
                errors.add(where + "a second resource group for node " + words[0] + " (the first is for " + preferred
                        + "); lbd moves every resource together: put them on one line");
                continue;
            }
            preferred = words[0];
            if (words.length == 1) {
                errors.add(where + "node " + words[0] + " has no resources; add IPaddr::VIP");
            }
            for (int w = 1; w < words.length; w++) {
                String res = words[w];
                try {
                    if (res.startsWith("ldirectord")) {
                        if (res.equals("ldirectord")) {
                            ldirectord = haDirectory.resolve("ldirectord.cf");
                        } else if (res.startsWith("ldirectord::")) {
                            ldirectord = haDirectory.resolve(res.substring("ldirectord::".length()));
                        } else {
                            throw new IllegalArgumentException("'" + res + "' is not a resource lbd knows");
                        }
                    } else {
                        vips.add(vip(res));
                    }
                } catch (IllegalArgumentException e) {
                    errors.add(where + e.getMessage());
                }
            }
        }
        if (preferred == null && errors.isEmpty()) {
            errors.add(file + ": no resource line; write e.g. lvs-ldir01 IPaddr::10.8.8.45 ldirectord::ldirectord.cf");
        } else if (vips.isEmpty() && errors.isEmpty()) {
            errors.add(file + ": no IPaddr::VIP resource; lbd needs at least one service address to move");
        }
        if (!errors.isEmpty()) {
            throw new HaConfigException(errors);
        }
        return new HaResources(preferred, vips, Optional.ofNullable(ldirectord));
    }

    private static VipResource vip(String res) {
        String spec;
        if (res.startsWith("IPaddr::")) {
            spec = res.substring("IPaddr::".length());
        } else if (res.startsWith("IPaddr2::")) {
            spec = res.substring("IPaddr2::".length());
        } else if (!res.contains("::") && Character.isDigit(res.charAt(0))) {
            spec = res; // a bare address means IPaddr::address
        } else {
            String script = res.contains("::") ? res.substring(0, res.indexOf("::")) : res;
            throw new IllegalArgumentException("resource '" + res + "': lbd cannot run the resource script " + script
                    + "; it carries IPaddr::VIP and ldirectord::FILE only (run other services outside HA)");
        }
        String[] parts = spec.split("/");
        if (parts.length == 0) {
            parts = new String[] {""}; // only slashes ("IPaddr::/"): split drops every empty part, address too
        }
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(parts[0]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resource '" + res + "': '" + parts[0] + "' is not an IPv4 address");
        }
        if (!(address instanceof Inet4Address v4)) {
            throw new IllegalArgumentException("resource '" + res + "': IPaddr takes an IPv4 address (use IPv6addr for IPv6, which lbd does not carry yet)");
        }
        OptionalInt prefix = OptionalInt.empty();
        Optional<String> ifname = Optional.empty();
        if (parts.length > 1 && !parts[1].isEmpty()) {
            prefix = OptionalInt.of(prefix(parts[1], res));
        }
        if (parts.length > 2 && !parts[2].isEmpty()) {
            ifname = Optional.of(parts[2]);
        }
        if (parts.length > 4) {
            throw new IllegalArgumentException("resource '" + res + "': too many parts; write IPaddr::VIP/PREFIX/IF/BROADCAST");
        }
        return new VipResource(v4, prefix, ifname);
    }

    private static int prefix(String s, String res) {
        if (s.contains(".")) {
            try {
                InetAddress mask = InetAddress.ofLiteral(s);
                int bits = java.nio.ByteBuffer.wrap(mask.getAddress()).getInt();
                int len = Integer.bitCount(bits);
                if (bits == (len == 0 ? 0 : -1 << (32 - len))) {
                    return len;
                }
            } catch (IllegalArgumentException ignored) {
                // falls through to the message
            }
        } else {
            try {
                int n = Integer.parseInt(s);
                if (n >= 1 && n <= 32) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // falls through to the message
            }
        }
        throw new IllegalArgumentException("resource '" + res + "': '" + s + "' is not a netmask (a prefix length 1-32, e.g. /24)");
    }
}
