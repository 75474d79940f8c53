package lbd.health;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * checktype=ping (also ldirectord's connect check of UDP services): an ICMP echo, each answered within
 * checktimeout, up to {@code checkcount} of them (ldirectord's check_ping: the first reply passes the check; only
 * when all go unanswered does it fail). The JVM cannot open ICMP sockets itself, so the system's {@code ping}
 * (setuid/capability-enabled) sends them; without one, every check fails with a reason saying so, rather than
 * silently pretending.
 */
public final class PingProbe implements Probe {

    private static final Optional<Path> PING = findPing();

    private final List<String> argv;
    private final Duration timeout;
    private final String target;
    private final int attempts;

    public PingProbe(CheckSpec spec) {
        this(spec, PING);
    }

    /** With {@code ping} as the ping command (tests count the echo requests with a stand-in). */
    PingProbe(CheckSpec spec, Optional<Path> ping) {
        this.timeout = spec.check().checkTimeout();
        this.attempts = spec.check().checkCount();
        this.target = spec.server().address().hostAddress();
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        boolean v6 = !spec.server().address().isIpv4();
        this.argv = ping.map(p -> v6
                        ? List.of(p.toString(), "-6", "-n", "-c", "1", "-W", Long.toString(seconds), target)
                        : List.of(p.toString(), "-n", "-c", "1", "-W", Long.toString(seconds), target))
                .orElse(List.of());
    }

    static boolean supported() {
        return PING.isPresent();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (argv.isEmpty()) {
            return ProbeResult.down("ping: not supported on this host (no ping command in PATH); "
                    + "install iputils-ping or use checktype=connect");
        }
        for (int attempt = 1; attempt <= attempts; attempt++) {
            if (CommandRunner.run(argv, timeout.plusSeconds(1)).succeeded()) {
                return ProbeResult.up("ping: echo reply");
            }
        }
        return ProbeResult.down("ping: no echo reply from " + target + " within " + Texts.duration(timeout)
                + (attempts == 1 ? "" : " to any of " + attempts + " requests (checkcount)"));
    }

    private static Optional<Path> findPing() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
        for (String dir : (path + ":/usr/bin:/bin:/usr/sbin:/sbin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "ping");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
