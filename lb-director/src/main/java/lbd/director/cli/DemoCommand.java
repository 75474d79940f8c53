package lbd.director.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.time.Instant;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.RealServer;
import lbd.director.control.ControlServer;
import lbd.director.control.DirectorOps;
import lbd.director.core.Director;
import lbd.director.core.DirectorException;
import lbd.director.demo.DemoBackends;
import lbd.director.demo.DemoConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lbd --demo}: the first field guide on one machine. Two built-in web servers answer "This is VM2" and
 * "This is VM3"; a round-robin VIP on 127.0.0.1:8080 (NAT mode) balances them with negotiate health checks.
 */
final class DemoCommand {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private DemoCommand() {
    }

    static int run(int vipPort, RunOptions options) throws InterruptedException {
        DemoBackends backends;
        try {
            backends = DemoBackends.start("VM2", "VM3");
        } catch (IOException e) {
            log.error("demo: could not start the built-in web servers on 127.0.0.1: {}", e.getMessage());
            return 1;
        }
        String text = DemoConfig.text(backends.port(0), backends.port(1), vipPort, freeLoopbackPort());
        ClusterConfig config = switch (ConfigLoader.parse("demo.cf", text)) {
            case ConfigResult.Loaded loaded -> loaded.config();
            case ConfigResult.Invalid invalid -> {
                invalid.errors().forEach(e -> log.error("{}", e));
                yield null;
            }
        };
        if (config == null) {
            backends.close();
            return 1;
        }
        Director director;
        try {
            director = RunCommand.startDirector(config, options);
        } catch (DirectorException e) {
            backends.close();
            log.error("demo: lbd could not start: {}", e.getMessage());
            return 1;
        }
        awaitFirstChecks(director, config, Duration.ofSeconds(5));
        Path socket = demoSocket(options);
        DirectorOps ops;
        try {
            ops = RunCommand.startOps(director, null, config, new RunOptions(options.transport(), options.eventLoops(), socket));
        } catch (DirectorException e) {
            director.close();
            backends.close();
            log.error("demo: lbd could not start: {}", e.getMessage());
            return 1;
        }
        String lbadm = socket.equals(ControlServer.DEFAULT_PATH) ? "bin/lbadm -Ln" : "bin/lbadm --socket " + socket + " -Ln";
        System.out.println();
        System.out.println("lbd demo: VIP 127.0.0.1:" + vipPort + " (rr) -> VM2 on 127.0.0.1:" + backends.port(0)
                + ", VM3 on 127.0.0.1:" + backends.port(1));
        System.out.println("try:  for i in $(seq 6); do curl -s http://127.0.0.1:" + vipPort + "/index.html; done");
        System.out.println("      " + lbadm + "      (Ctrl-C stops the demo)");
        if (ops.metricsPort() > 0) {
            System.out.println("      the status page: http://127.0.0.1:" + ops.metricsPort() + "/   (metrics: /metrics)");
        }
        System.out.println();
        System.out.flush();
        return RunCommand.runUntilStopped(director, List.of(ops), List.of(backends));
    }

    /** A port free on 127.0.0.1 now, for the demo's status page (0, no page, when none can be had). */
    private static int freeLoopbackPort() {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        } catch (IOException e) {
            return 0;
        }
    }

    /** The default control socket when root may create it; otherwise one in /tmp that only this user can use. */
    private static Path demoSocket(RunOptions options) {
        if (options.socket() != null) {
            return options.socket();
        }
        Path runDir = ControlServer.DEFAULT_PATH.getParent();
        if (Files.isWritable(runDir) || Files.isWritable(runDir.getParent())) {
            return ControlServer.DEFAULT_PATH;
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "lbd-" + System.getProperty("user.name"), "lbd.sock");
    }

    private static void awaitFirstChecks(Director director, ClusterConfig config, Duration bound)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(bound);
        while (Instant.now().isBefore(deadline)) {
            boolean allUp = director.onControl(() -> config.virtualServices().stream()
                    .flatMap(vs -> vs.realServers().stream())
                    .map(RealServer::key)
                    .allMatch(k -> director.state(k).up()));
            if (allUp) {
                return;
            }
            Thread.sleep(50);
        }
        log.warn("demo: not every real server passed its first check within {} s", bound.toSeconds());
    }

}
