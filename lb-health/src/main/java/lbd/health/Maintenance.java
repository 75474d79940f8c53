package lbd.health;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import lbd.config.model.Endpoint;

/**
 * maintenancedir: a file named {@code IP:port} or {@code IP} (IPv6 in brackets: {@code [2001:db8::1]:80})
 * takes the real server out of service, without checking it, until the file is removed.
 *
 * <p>ldirectord also looks for reverse-DNS names of the server; lbd does not, because a reverse lookup per
 * server per interval would make every check depend on DNS (and a slow resolver would stall the checks).
 */
final class Maintenance {

    private final List<Path> files;

    Maintenance(Optional<Path> dir, Endpoint server) {
        this.files = dir.map(d -> fileNames(server).stream().map(d::resolve).toList()).orElse(List.of());
    }

    /** The names of the files that put {@code server} in maintenance: {@code IP:port}, then {@code IP}. */
    static List<String> fileNames(Endpoint server) {
        String ip = server.isIpv4() ? server.hostAddress() : "[" + server.hostAddress() + "]";
        return List.of(ip + ":" + server.port(), ip);
    }

    boolean active() {
        for (Path file : files) {
            if (Files.exists(file)) {
                return true;
            }
        }
        return false;
    }
}
