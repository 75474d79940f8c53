package lbd.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Turns a host name from the configuration into an address, once, at load time (never on a hot path).
 * Tests pass their own, so that they never depend on DNS.
 */
@FunctionalInterface
public interface NameResolver {

    /** The first address of {@code hostName} in the wanted family, or empty when it does not resolve. */
    Optional<InetAddress> resolve(String hostName, boolean ipv6);

    /** The system resolver (/etc/hosts, then DNS, as configured in nsswitch). */
    NameResolver SYSTEM = (hostName, ipv6) -> {
        try {
            for (InetAddress a : InetAddress.getAllByName(hostName)) {
                if (ipv6 ? a instanceof Inet6Address : a instanceof Inet4Address) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        } catch (UnknownHostException | SecurityException e) {
            return Optional.empty();
        }
    };
}
