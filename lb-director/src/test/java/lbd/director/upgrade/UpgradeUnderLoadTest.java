package lbd.director.upgrade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.director.control.ControlClient;
import lbd.director.nat.Nginx;
import lbd.director.systemd.NotifySocketListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lbd upgrade} end to end, with lbd as processes of its own started through an installed-style launcher
 * ({@link UpgradeLab}), real nginx servers and wrk (Debian's; .ci/run installs both) through a masq VIP on loopback.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class UpgradeUnderLoadTest {

    private static final Path WRK = Path.of("/usr/bin/wrk");
    /**
     * What the run proves needs load before, during and after the hand-over: wrk runs from {@link #UPGRADE_AT}
     * before the upgrade to {@link #AFTER_UPGRADE} after it returns, then is interrupted (it reports on SIGINT as at
     * the end of its duration). The upgrade's length is the new process's start and warm-up, 1-15 s depending on
     * the machine: a fixed run of 12 s, as before, ended first once the warm-up came. {@code LOAD} only bounds wrk.
     * benchmarks/zero-downtime.sh measures the 20-s runs that README quotes.
     */
    private static final Duration LOAD = Duration.ofSeconds(120);
    private static final Duration AFTER_UPGRADE = Duration.ofSeconds(3);
    private static final Duration UPGRADE_AT = Duration.ofSeconds(3);
    private static final Pattern PIDS = Pattern.compile("old pid (\\d+), new pid (\\d+) \\(serving\\)");

    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        Nginx.assumeInstalled();
        assumeTrue(Files.isExecutable(WRK), "wrk is not installed here (apt-get install wrk)");
    }

    /**
     * wrk through the VIP — keep-alive connections, and a new connection per request ({@code Connection:
     * close}) — from 3 s before {@code lbd upgrade} to 3 s after it: both pids printed, exit 0; not one request failed and not one
     * connection error in either run; the old process drains its keep-alive connections (wrk keeps them to the
     * end) and exits once they close; the new one serves, answers on the control socket, and has the third real
     * server, which is down, out of its table from the start (the verdicts handed over).
     */
    @Test
    void anUpgradeUnderLoadLosesNoRequestAndNoConnection() throws Exception {
        try (UpgradeLab lab = UpgradeLab.create(dir)) {
            long old = lab.startLbd(lab.configText("", lab.deadPort), Map.of());
            String url = "http://127.0.0.1:" + lab.vipPort + "/";
            Process keepAlive = wrk(dir.resolve("wrk-keepalive.txt"), url);
            Process close = wrk(dir.resolve("wrk-close.txt"), url, "-H", "Connection: close");
            Thread.sleep(UPGRADE_AT.toMillis()); // the scenario: the upgrade comes while the load runs

            UpgradeLab.Result upgrade = lab.upgrade();
            assertThat(upgrade.status()).as(upgrade.output()).isZero();
            assertThat(keepAlive.isAlive() && close.isAlive()).as("the load runs through the upgrade").isTrue();
            Matcher pids = PIDS.matcher(upgrade.output());
            assertThat(pids.find()).as(upgrade.output()).isTrue();
            assertThat(Long.parseLong(pids.group(1))).isEqualTo(old);
            long next = Long.parseLong(pids.group(2));
            assertThat(UpgradeLab.alive(next)).isTrue();
            assertThat(lab.servingPid().orElse(-1)).isEqualTo(next);
            assertThat(ControlClient.send(lab.socket, "ping").ok()).isTrue(); // the new one's control socket
            // The verdicts came along: the server that is down is out of the new one's table from its first moment.
            String listing = ControlClient.send(lab.socket, "list numeric").body();
            assertThat(listing).containsPattern("127\\.0\\.0\\.1:" + lab.deadPort + " +Masq +0 .*down: connect");

            // Load on the new process (and the old one's draining keep-alive connections) for a while; then wrk
            // stops and closes them, and the old process, drained, exits.
            Thread.sleep(AFTER_UPGRADE.toMillis());
            assertThat(keepAlive.isAlive() && close.isAlive()).as("the load outlasts the upgrade").isTrue();
            for (Process load : List.of(keepAlive, close)) {
                new ProcessBuilder("kill", "-INT", Long.toString(load.pid())).start().waitFor();
                assertThat(load.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(UpgradeLab.awaitExit(old, Duration.ofSeconds(15))).as(lab.log()).isTrue();

            for (Path run : List.of(dir.resolve("wrk-keepalive.txt"), dir.resolve("wrk-close.txt"))) {
                String report = Files.readString(run);
                System.out.println(run.getFileName() + ":\n" + report); // the figures README's table quotes
                assertThat(report).as(run.getFileName() + ":\n" + report + "\nlbd:\n" + lab.log())
                        .doesNotContain("Socket errors").doesNotContain("Non-2xx");
                assertThat(requests(report)).as(report).isGreaterThan(1_000);
            }
            assertThat(lab.get()).matches("[0-9]+");
            assertThat(lab.log()).contains("lbd upgrade: took over 1 VIP sockets and 3 health verdicts")
                    .doesNotContain("Exception");
        }
    }

    /**
     * A new lbd that cannot start leaves the old one serving, and lbd upgrade says why (exit 1): a configuration
     * with an error (its FILE:LINE quoted), and a binary that exits at once (its status and its last line); the old
     * one keeps no copy of a socket it handed. Then, with both fixed, the same upgrade goes through.
     */
    @Test
    void aFailedUpgradeLeavesTheOldLbdServingAndSaysWhy() throws Exception {
        try (UpgradeLab lab = UpgradeLab.create(dir)) {
            String good = lab.configText("warmup=no\n"); // no warm-up: seconds per process, and not the subject here
            long old = lab.startLbd(good, Map.of());
            int listeners = lab.descriptorsOnVip(old);
            assertThat(listeners).isPositive();


            Files.writeString(lab.config, good + "        bogus=1\n");
            UpgradeLab.Result badConfig = lab.upgrade();
            assertThat(badConfig.status()).isEqualTo(1);
            assertThat(badConfig.output()).contains("lbd upgrade failed: the new lbd (pid ")
                    .contains("exited with status 1 before it took over")
                    .contains(lab.config + ":" + (good.lines().count() + 1) + ": ") // the bogus line
                    .contains("this lbd (pid " + old + ") goes on serving");
            assertThat(lab.get()).matches("[0-9]+");

            Files.writeString(lab.config, good);
            Files.writeString(lab.home.resolve("broken"), "");
            UpgradeLab.Result broken = lab.upgrade();
            assertThat(broken.status()).isEqualTo(1);
            assertThat(broken.output()).contains("exited with status 3 before it took over")
                    .contains("lbd: this lbd binary is broken (test)");
            assertThat(lab.get()).matches("[0-9]+");
            assertThat(UpgradeLab.alive(old)).isTrue();
            assertThat(lab.lbds()).extracting(ProcessHandle::pid).containsExactly(old); // no new one left over
            assertThat(lab.descriptorsOnVip(old)).isEqualTo(listeners); // and no copy of a socket
            assertThat(ControlClient.send(lab.socket, "ping").ok()).isTrue();

            Files.delete(lab.home.resolve("broken"));
            UpgradeLab.Result fixed = lab.upgrade("--drain", "5");
            assertThat(fixed.status()).as(fixed.output()).isZero();
            assertThat(UpgradeLab.awaitExit(old, Duration.ofSeconds(10))).isTrue();
            assertThat(lab.get()).matches("[0-9]+");
        }
    }

    /** transport=nio has no descriptors to hand over: refused before anything starts, the old one serving on. */
    @Test
    void anLbdOnNioRefusesToHandOverAndServesOn() throws Exception {
        try (UpgradeLab lab = UpgradeLab.create(dir)) {
            long old = lab.startLbd(lab.configText("transport=nio\nwarmup=no\n"), Map.of()); // as above
            UpgradeLab.Result nio = lab.upgrade();
            assertThat(nio.status()).isEqualTo(1);
            assertThat(nio.output()).contains("lbd upgrade refused: transport=nio cannot hand its sockets");
            assertThat(lab.lbds()).extracting(ProcessHandle::pid).containsExactly(old);
            assertThat(lab.get()).matches("[0-9]+");
        }
    }

    /**
     * Under systemd (its notify socket, WatchdogSec=): the old process makes the new one the main process
     * (MAINPID=, which NotifyAccess=main lets only the main process send), the new one then says READY=1, and it
     * pings the watchdog itself after the old one has exited (WATCHDOG_PID, which named the old one, is not passed
     * on). A configuration with transport=epoll: the listeners are taken over on that transport too; and metrics=,
 * whose port the new one binds once the old one has released it.
     */
    @Test
    void underSystemdTheNewProcessBecomesTheMainOneAndKeepsTheWatchdog() throws Exception {
        try (UpgradeLab lab = UpgradeLab.create(dir);
             NotifySocketListener systemd = new NotifySocketListener(dir.resolve("notify").toString())) {
            int metricsPort = UpgradeLab.freePorts(1)[0];
            String globals = "transport=epoll\nwarmup=no\nmetrics=127.0.0.1:" + metricsPort + "\n"; // as above
            long old = lab.startLbd(lab.configText(globals),
                    Map.of("NOTIFY_SOCKET", systemd.address(), "WATCHDOG_USEC", "2000000"));
            assertThat(systemd.awaitContaining("READY=1", Duration.ofSeconds(30))).isPresent();

            UpgradeLab.Result upgrade = lab.upgrade("--drain", "5");
            assertThat(upgrade.status()).as(upgrade.output()).isZero();
            Matcher pids = PIDS.matcher(upgrade.output());
            assertThat(pids.find()).isTrue();
            long next = Long.parseLong(pids.group(2));

            Optional<String> mainPid = systemd.awaitContaining("MAINPID=" + next, Duration.ofSeconds(10));
            assertThat(mainPid).isPresent();
            assertThat(UpgradeLab.awaitExit(old, Duration.ofSeconds(10))).isTrue();
            // Everything said after the hand-over: the new one's READY=1, and never the old one's STOPPING=1.
            List<String> after = new java.util.ArrayList<>();
            Optional<String> message;
            while ((message = systemd.next(Duration.ofMillis(500))).isPresent()) {
                after.add(message.get());
            }
            assertThat(after).anyMatch(m -> m.lines().anyMatch("READY=1"::equals))
                    .noneMatch(m -> m.contains("STOPPING=1"));
            // The old one has exited: a watchdog ping now is the new one's.
            assertThat(systemd.awaitContaining("WATCHDOG=1", Duration.ofSeconds(5))).isPresent();
            assertThat(lab.get()).matches("[0-9]+");
            assertThat(lab.log()).contains("transport epoll");
            // The metrics port, which the old one released, is the new one's.
            java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + metricsPort
                            + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("lbd_real_server_up");
        }
    }

    private static Process wrk(Path report, String url, String... extra) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(WRK.toString(), "-t1", "-c16",
                "-d" + LOAD.toSeconds() + "s", "--timeout", "5s"));
        command.addAll(List.of(extra));
        command.add(url);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(report.toFile()).start();
    }

    private static long requests(String report) {
        Matcher m = Pattern.compile("(\\d+) requests in").matcher(report);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
