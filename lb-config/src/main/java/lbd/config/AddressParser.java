package lbd.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Parses {@code ADDRESS[:PORT]}, {@code [IPv6][:PORT]} and IPv4 ranges {@code FIRST->LAST[:PORT]}, where an
 * address may be a host name (resolved here, once) and a port may be a name ({@code :http}).
 */
final class AddressParser {

    /** Ranges larger than this are almost certainly a typo (10.0.0.1->10.0.1.1 instead of ->10.0.0.11). */
    static final int MAX_RANGE = 1024;

    private static final Pattern DOTTED = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern PORT_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");

    /**
     * @param addresses one address, or every address of a range in order
     * @param port      the port, or -1 when none was written
     */
    record HostPort(List<InetAddress> addresses, int port) {
        InetAddress first() {
            return addresses.getFirst();
        }
    }

    private AddressParser() {
    }

    /**
     * @param ipv6       the directive is one of virtual6/real6/fallback6: names resolve to IPv6 and a bare
     *                   IPv4 address is refused
     * @param allowRange whether FIRST->LAST is allowed (real= only)
     */
    static HostPort parse(String spec, boolean ipv6, boolean allowRange, NameResolver resolver) {
        if (spec.isEmpty()) {
            throw new BadValue("no address given; expected ADDRESS:PORT, e.g. 10.0.0.2:80");
        }
        int arrow = spec.indexOf("->");
        if (arrow >= 0) {
            if (!allowRange) {
                throw new BadValue("a range (" + Excerpt.of(spec) + ") is only allowed on real= lines");
            }
            return range(spec.substring(0, arrow), spec.substring(arrow + 2), ipv6);
        }
        String host;
        String port = null;
        if (spec.startsWith("[")) {
            int close = spec.indexOf(']');
            if (close < 0) {
                throw new BadValue(Excerpt.quoted(spec) + " has no closing ]; expected [IPv6]:PORT, e.g. [2001:db8::1]:80");
            }
            host = spec.substring(1, close);
            String rest = spec.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new BadValue(Excerpt.quoted(spec) + " has junk after ]; expected [IPv6]:PORT, e.g. [2001:db8::1]:80");
                }
                port = rest.substring(1);
            }
            return new HostPort(List.of(ipv6Literal(host, spec)), port == null ? -1 : port(port));
        }
        int colons = (int) spec.chars().filter(c -> c == ':').count();
        if (colons > 1) {
            throw new BadValue(Excerpt.quoted(spec) + " is not ADDRESS:PORT (more than one ':'); an IPv6 address goes in"
                    + " brackets, e.g. [2001:db8::1]:80");
        }
        if (colons == 1) {
            int colon = spec.indexOf(':');
            host = spec.substring(0, colon);
            port = spec.substring(colon + 1);
        } else {
            host = spec;
        }
        InetAddress address = host(host, ipv6, resolver);
        return new HostPort(List.of(address), port == null ? -1 : port(port));
    }

    /** A port number 1-65535 or a service name such as http. */
    static int port(String text) {
        if (text.isEmpty()) {
            throw new BadValue("no port after ':'; expected a number from 1 to 65535 or a name such as http");
        }
        if (text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (text.length() > 5 || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
                throw new BadValue("port " + Excerpt.of(text) + " is out of range; expected 1 to 65535");
            }
            return Integer.parseInt(text);
        }
        if (!PORT_NAME.matcher(text).matches()) {
            throw new BadValue(Excerpt.quoted(text) + " is not a port; expected a number from 1 to 65535 or a name such as http");
        }
        return PortNames.lookup(text).orElseThrow(() -> new BadValue("unknown port name " + Excerpt.quoted(text)
                + " (not in lbd's table or /etc/services); write the port number"));
    }

    private static InetAddress host(String host, boolean ipv6, NameResolver resolver) {
        if (host.isEmpty()) {
            throw new BadValue("no address before the port; expected ADDRESS:PORT, e.g. 10.0.0.2:80");
        }
        if (DOTTED.matcher(host).matches()) {
            InetAddress a = ipv4Literal(host);
            if (ipv6) {
                throw new BadValue(Excerpt.of(host) + " is an IPv4 address, but this directive takes IPv6 ([2001:db8::1]:80);"
                        + " use the directive without the 6");
            }
            return a;
        }
        if (!HOST_NAME.matcher(host).matches()) {
            throw new BadValue(Excerpt.quoted(host) + " is neither an IP address nor a host name");
        }
        Optional<InetAddress> resolved = resolver.resolve(host, ipv6);
        return resolved.orElseThrow(() -> new BadValue("host name " + Excerpt.quoted(host) + " does not resolve to an "
                + (ipv6 ? "IPv6" : "IPv4") + " address; fix the name, add it to /etc/hosts or write the address"));
    }

    private static InetAddress ipv4Literal(String text) {
        if (!IPV4.matcher(text).matches()) {
            throw new BadValue(Excerpt.quoted(text) + " is not a valid IPv4 address (four numbers 0-255, e.g. 10.0.0.2)");
        }
        return InetAddress.ofLiteral(text);
    }

    private static InetAddress ipv6Literal(String text, String spec) {
        try {
            if (text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')
                    && InetAddress.ofLiteral(text) instanceof Inet6Address a) {
                return a;
            }
        } catch (IllegalArgumentException e) {
            // Falls through to the message below.
        }
        throw new BadValue(Excerpt.quoted(spec) + " is not a valid IPv6 address in brackets, e.g. [2001:db8::1]:80");
    }

    private static HostPort range(String firstText, String lastAndPort, boolean ipv6) {
        String lastText = lastAndPort;
        int port = -1;
        int colon = lastAndPort.indexOf(':');
        if (colon >= 0) {
            lastText = lastAndPort.substring(0, colon);
            port = port(lastAndPort.substring(colon + 1));
        }
        if (ipv6 || firstText.startsWith("[") || lastText.startsWith("[")) {
            throw new BadValue("address ranges of IPv6 servers are not supported yet; write one real6= line per server");
        }
        if (!DOTTED.matcher(firstText).matches() || !DOTTED.matcher(lastText).matches()) {
            throw new BadValue("a range between host names (" + Excerpt.of(firstText + "->" + lastText) + ") is not supported"
                    + " yet; write it with addresses, e.g. 10.0.0.2->10.0.0.7:80, or one real= line per host");
        }
        long first = toLong((Inet4Address) ipv4Literal(firstText));
        long last = toLong((Inet4Address) ipv4Literal(lastText));
        if (first > last) {
            throw new BadValue("range " + firstText + "->" + lastText + " runs backwards; write the lower address first");
        }
        if (last - first + 1 > MAX_RANGE) {
            throw new BadValue("range " + firstText + "->" + lastText + " has " + (last - first + 1)
                    + " addresses; at most " + MAX_RANGE + " are allowed");
        }
        List<InetAddress> all = new ArrayList<>((int) (last - first + 1));
        for (long a = first; a <= last; a++) {
            all.add(InetAddress.ofLiteral((a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255)));
        }
        return new HostPort(List.copyOf(all), port);
    }

    private static long toLong(Inet4Address a) {
        byte[] b = a.getAddress();
        return ((b[0] & 255L) << 24) | ((b[1] & 255L) << 16) | ((b[2] & 255L) << 8) | (b[3] & 255L);
    }
}
