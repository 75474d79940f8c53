package lbd.health;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import lbd.config.model.CheckCredentials;
import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.GlobalSettings;
import lbd.config.model.HealthCheck;
import lbd.config.model.MaglevTableSize;
import lbd.config.model.NatOptions;
import lbd.config.model.Reporting;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.ServiceType;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;

/** Builds model records for tests with short, test-friendly defaults (checkinterval 100 ms, timeouts 1 s). */
final class TestConfig {

    CheckType type = CheckType.CONNECT;
    int connectsPerNegotiate;
    ServiceType service = ServiceType.NONE;
    Duration interval = Duration.ofMillis(100);
    Duration checkTimeout = Duration.ofSeconds(1);
    Duration connectTimeout = Duration.ofSeconds(1);
    Duration negotiateTimeout = Duration.ofSeconds(1);
    int failureCount = 1;
    Optional<Integer> checkPort = Optional.empty();
    Optional<String> request = Optional.empty();
    Optional<String> receive = Optional.empty();
    String httpMethod = "GET";
    Optional<String> virtualHost = Optional.empty();
    Optional<String> checkCommand = Optional.empty();
    CheckCredentials credentials = CheckCredentials.NONE;
    boolean quiescent = true;
    Optional<Endpoint> fallback = Optional.empty();
    Optional<String> fallbackCommand = Optional.empty();
    Optional<Path> maintenanceDir = Optional.empty();
    Endpoint vip = Endpoint.of("198.18.0.1", 80);
    Protocol protocol = Protocol.TCP;
    int checkCount = 1;
    Optional<Path> monitorFile = Optional.empty();
    NatOptions nat = NatOptions.NONE;

    static TestConfig connect() {
        return new TestConfig();
    }

    static TestConfig negotiate(ServiceType service) {
        TestConfig c = new TestConfig();
        c.type = CheckType.NEGOTIATE;
        c.service = service;
        return c;
    }

    /** Sets login, passwd and database; null leaves one absent. */
    TestConfig login(String login, String passwd, String database) {
        credentials = new CheckCredentials(Optional.ofNullable(login), Optional.ofNullable(passwd),
                Optional.ofNullable(database));
        return this;
    }

    HealthCheck healthCheck() {
        return new HealthCheck(type, connectsPerNegotiate, service, interval, checkTimeout, connectTimeout,
                negotiateTimeout, failureCount, checkPort, request, receive, httpMethod, virtualHost,
                checkCommand, credentials, checkCount);
    }

    VirtualServiceKey key() {
        return new VirtualServiceKey(protocol, vip);
    }

    static RealServer real(VirtualServiceKey service, Endpoint address, int weight) {
        return new RealServer(new RealServerKey(service, address), ForwardingMethod.MASQ, weight,
                Optional.empty(), Optional.empty(), 1);
    }

    RealServer real(int port) {
        return real(key(), Endpoint.of("127.0.0.1", port), 1);
    }

    RealServer real(String ip, int port) {
        return real(key(), Endpoint.of(ip, port), 1);
    }

    CheckSpec spec(int port) {
        return spec(real(port));
    }

    CheckSpec spec(RealServer real) {
        return CheckSpec.of(service(List.of(real)), real, maintenanceDir);
    }

    VirtualService service(List<RealServer> reals) {
        List<RealServer> rebased = new ArrayList<>();
        for (RealServer r : reals) {
            rebased.add(new RealServer(new RealServerKey(key(), r.address()), r.forwarding(), r.weight(),
                    r.request(), r.receive(), r.line()));
        }
        return new VirtualService(key(), SchedulerKind.WRR, OptionalInt.empty(), Optional.empty(), rebased,
                healthCheck(), quiescent, fallback.map(f -> real(key(), f, 1)), fallbackCommand, 0,
                Optional.of(Duration.ofMinutes(15)), 1, SchedulerFlags.NONE, MaglevTableSize.DEFAULT,
                List.of(), new Reporting(monitorFile, Optional.empty(), Optional.empty(), Optional.empty()), nat);
    }

    ClusterConfig cluster(List<RealServer> reals) {
        return cluster(service(reals));
    }

    ClusterConfig cluster(VirtualService... services) {
        return new ClusterConfig(Optional.empty(), globals(), List.of(services));
    }

    GlobalSettings globals() {
        return new GlobalSettings(false, Optional.empty(), Optional.empty(), maintenanceDir, false, false, false,
                Optional.empty(), Transport.AUTO, 0, 0, Optional.empty(), Optional.empty(), Optional.empty());
    }
}
