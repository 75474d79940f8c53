package lbd.config.model;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address and a TCP/UDP port, resolved once at configuration load.
 * Printed the way ipvsadm -n prints it: {@code 10.8.8.45:80}, {@code [2001:db8::1]:80}.
 */
public record Endpoint(InetAddress address, int port) implements Comparable<Endpoint> {

    public Endpoint {
        Objects.requireNonNull(address, "address");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    public static Endpoint of(String literalAddress, int port) {
        try {
            return new Endpoint(InetAddress.ofLiteral(literalAddress), port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address: " + literalAddress, e);
        }
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(address, port);
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** The numeric form, as {@code ipvsadm -n} shows it. */
    public String hostAddress() {
        return address.getHostAddress();
    }

    @Override
    public String toString() {
        return isIpv4() ? hostAddress() + ":" + port : "[" + hostAddress() + "]:" + port;
    }

    @Override
    public int compareTo(Endpoint other) {
        int c = java.util.Arrays.compareUnsigned(address.getAddress(), other.address.getAddress());
        return c != 0 ? c : Integer.compare(port, other.port);
    }
}
