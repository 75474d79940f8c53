package lbd.director.listing;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;

/**
 * As {@code ipvsadm -L} without {@code -n}: the host name by reverse lookup and the port's service name from
 * /etc/services, each falling back to the number when there is none. Lookups block, so this runs on the
 * connection's own thread, never on the control thread; results are cached for one listing.
 */
public final class ResolvingNames implements AddressNames {

    private final Map<InetAddress, String> hosts = new HashMap<>();
    private final Map<String, String> services;

    private ResolvingNames(Map<String, String> services) {
        this.services = services;
    }

    public static ResolvingNames fromSystem() {
        return new ResolvingNames(readServices(Path.of("/etc/services")));
    }

    @Override
    public String name(Endpoint endpoint, Protocol protocol) {
        String host = hosts.computeIfAbsent(endpoint.address(), a -> {
            String name = a.getCanonicalHostName();
            return name.equals(a.getHostAddress()) && !endpoint.isIpv4() ? "[" + name + "]" : name;
        });
        String port = services.getOrDefault(endpoint.port() + "/" + protocol.name().toLowerCase(Locale.ROOT),
                Integer.toString(endpoint.port()));
        return host + ":" + port;
    }

    /** "port/proto" to the first name given for it in an /etc/services file. */
    static Map<String, String> readServices(Path file) {
        Map<String, String> names = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                int hash = line.indexOf('#');
                String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
                if (f.length >= 2 && f[1].contains("/")) {
                    names.putIfAbsent(f[1].toLowerCase(Locale.ROOT), f[0]);
                }
            }
        } catch (IOException | SecurityException e) {
            // No /etc/services: ports stay numeric, as ipvsadm's getservbyport would leave them.
        }
        return Map.copyOf(names);
    }
}
