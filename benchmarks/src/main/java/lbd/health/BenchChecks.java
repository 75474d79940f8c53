package lbd.health;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.RealServer;
import lbd.config.model.VirtualService;

/**
 * checktype=connect checks of {@code servers} real servers (100 per virtual service, checkinterval=1), built the
 * way HealthMonitor builds them (from a loaded configuration, each starting UP and already reported), for the
 * health benchmarks. Set-up only.
 */
final class BenchChecks {

    static final int PER_SERVICE = 100;

    private BenchChecks() {
    }

    static List<SocketCheck> connectChecks(int servers, Consumer<CheckReport> sink) {
        if (servers % PER_SERVICE != 0) {
            throw new IllegalArgumentException("servers must be a multiple of " + PER_SERVICE + ": " + servers);
        }
        StringBuilder cf = new StringBuilder("checkinterval=1\nconnecttimeout=2\nfailurecount=3\n");
        for (int s = 0; s < servers / PER_SERVICE; s++) {
            cf.append("virtual=198.18.").append(s / 250).append('.').append(s % 250 + 1).append(":80\n");
            for (int r = 0; r < PER_SERVICE; r++) {
                int k = s * PER_SERVICE + r;
                cf.append("\treal=198.19.").append(k / 250).append('.').append(k % 250 + 1).append(":80 gate\n");
            }
            cf.append("\tchecktype=connect\n\tservice=none\n\tscheduler=wrr\n\tprotocol=tcp\n");
        }
        ConfigResult result = ConfigLoader.parse("health-bench.cf", cf.toString(),
                (name, ipv6) -> Optional.<InetAddress>empty());
        if (!(result instanceof ConfigResult.Loaded loaded)) {
            throw new IllegalStateException("health benchmark configuration rejected: " + result);
        }
        List<SocketCheck> checks = new ArrayList<>(servers);
        long id = 1;
        for (VirtualService service : loaded.config().virtualServices()) {
            for (RealServer real : service.realServers()) {
                // Steady state: the monitor already knows this server is up, for the reason every check gives.
                RealServerStatus current = new RealServerStatus(real, HealthState.UP, SocketCheck.CONNECTED, false,
                        true);
                checks.add(new SocketCheck(id++, CheckSpec.of(service, real, Optional.empty()), current,
                        LastCheck.none(), sink, MonitorLine.none()));
            }
        }
        return checks;
    }
}
