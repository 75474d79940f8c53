package lbd.director.ha;

import java.net.Inet4Address;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An {@code IPaddr::VIP[/PREFIX[/IF[/BROADCAST]]]} resource: a service address that moves with the active node.
 * Without a prefix or interface, they are those of the interface whose subnet holds the VIP (as heartbeat's
 * IPaddr finds them from the routing table).
 */
public record VipResource(Inet4Address address, OptionalInt prefix, Optional<String> interfaceName) {

    public VipResource {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(interfaceName, "interfaceName");
    }

    @Override
    public String toString() {
        return address.getHostAddress() + (prefix.isPresent() ? "/" + prefix.getAsInt() : "")
                + interfaceName.map(i -> " dev " + i).orElse("");
    }
}
