package lbd.health;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import lbd.config.model.Endpoint;
import lbd.config.model.HealthCheck;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;

/**
 * Everything that decides how one real server is checked, with the per-real-server request/receive already
 * folded over the service's. A reload restarts a server's checks exactly when its spec changes (a new weight
 * does not).
 *
 * @param server         the real server and its virtual service
 * @param check          the service's check settings
 * @param request        effective request (real server's, else service's)
 * @param receive        effective receive regular expression (real server's, else service's)
 * @param maintenanceDir global maintenancedir
 * @param proxyHeader    proxyprotocol= of the service: the checks send a PROXY header first ({@link CheckProxyHeader})
 */
public record CheckSpec(
        RealServerKey server,
        HealthCheck check,
        Optional<String> request,
        Optional<String> receive,
        Optional<Path> maintenanceDir,
        ProxyProtocol proxyHeader) {

    public CheckSpec {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(receive, "receive");
        Objects.requireNonNull(maintenanceDir, "maintenanceDir");
        Objects.requireNonNull(proxyHeader, "proxyHeader");
    }

    public static CheckSpec of(VirtualService service, RealServer real, Optional<Path> maintenanceDir) {
        HealthCheck check = service.healthCheck();
        // ldirectord takes the request/receive pair from the real= line when it has one.
        return new CheckSpec(real.key(), check,
                real.request().or(check::request),
                real.receive().or(check::receive),
                maintenanceDir, service.nat().proxyProtocol());
    }

    /** Where probes connect: the real server's address, on checkport when one is set. */
    public Endpoint target() {
        Endpoint real = server.address();
        return check.checkPort().map(port -> new Endpoint(real.address(), port)).orElse(real);
    }
}
