package lbd.director.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A service name such as {@code http} to its TCP port, from /etc/services, for lbadm's {@code -t VIP:http}. */
final class ServicePorts {

    private ServicePorts() {
    }

    static Optional<Integer> lookup(String name) {
        if (name.equals("http") || name.equals("www")) {
            return Optional.of(80); // also on machines without /etc/services
        }
        if (name.equals("https")) {
            return Optional.of(443);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/services"), StandardCharsets.ISO_8859_1)) {
                int hash = line.indexOf('#');
                String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
                if (f.length >= 2 && f[1].endsWith("/tcp")) {
                    for (int i = 0; i < f.length; i++) {
                        if (i != 1 && f[i].equals(name)) {
                            return Optional.of(Integer.parseInt(f[1].substring(0, f[1].indexOf('/'))));
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no usable /etc/services: names other than http/https are not known
        }
        return Optional.empty();
    }
}
