package lbd.director.upgrade;

import static lbd.director.ha.HaPairLab.A_IP;
import static lbd.director.ha.HaPairLab.B_IP;
import static lbd.director.ha.HaPairLab.BOUND;
import static lbd.director.ha.HaPairLab.CONNECTIONS;
import static lbd.director.ha.HaPairLab.D1;
import static lbd.director.ha.HaPairLab.D2;
import static lbd.director.ha.HaPairLab.VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import lbd.director.ha.HaPairLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lbd upgrade} of either node of an HA pair, without the peer noticing, in the namespaces of
 * {@link HaPairLab} (the second field guide's two directors, gate real servers set up with scripts/vip-setup.sh,
 * wlc), with a masq VIP beside the guide's gate VIP (both in haresources) and lbd run through an installed-style
 * launcher:
 * <ol>
 *   <li>the active node is upgraded while 100 long-lived DR connections exchange a line every 100 ms and a stream
 *       of new connections goes through the masq VIP: the new process carries the node on as active (the VIPs stay
 *       on it: no release, no announcement), the peer logs no takeover, no death, no late or dropped heartbeat and
 *       sees no restart (it does not resync), the DR connections carry on to their real servers and not one NAT
 *       connection fails;
 *   <li>the backup is upgraded: it carries on as backup with every synchronised connection (listed in its
 *       lbadm -Lnc), the active notices nothing; then the active is killed with kill -9 and the upgraded backup takes
 *       over and carries every connection on to its real server;
 *   <li>a new process that dies once the active node was handed to it: the old process carries the node on, the peer
 *       does not take over.
 * </ol>
 * Needs root and python3; skips otherwise.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HaUpgradeNamespaceTest {

    private static final int METRICS_PORT = 9100;
    private static final String NAT_VIP = "198.18.0.44";
    private static final Pattern PIDS = Pattern.compile("old pid (\\d+), new pid (\\d+) \\(serving\\)");
    /** keepalive 500 ms, warntime 1.5 s, deadtime 3 s: a hand-over the peer could notice would show in its log. */
    private static final Duration DEADTIME = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void upgradingEitherNodeKeepsItsRoleTheVipsAndTheConnectionsAndThePeerNoticesNothing() throws Exception {
        try (HaPairLab lab = HaPairLab.create("hu", dir)) {
            boolean passed = false;
            try {
                run(lab);
                passed = true;
            } finally {
                if (!passed) {
                    for (String name : List.of(D1 + "-1", D2 + "-2", "clients", "nat", "upgrade-1", "upgrade-2")) {
                        System.err.println("---- " + name + " ----\n" + lab.log(name));
                    }
                    for (String node : List.of(D1, D2)) {
                        System.err.println("---- " + node + " now ----\n" + lab.listing(node, "-Ln")
                                + lab.listing(node, "-Lnc").lines().limit(6).collect(Collectors.joining("\n"))
                                + "\n" + lab.metrics(node, METRICS_PORT).lines().filter(l -> l.startsWith("lbd_dr_"))
                                .collect(Collectors.joining("\n")));
                    }
                }
            }
        }
    }

    /**
     * The new process takes the active node over and dies before "ready" (DiesAfterRelease): lbd upgrade says the
     * upgrade did not complete, and the old process carries the node on — as a new run, which its peer resyncs —
     * within the deadtime: the peer does not take over, and the DR connections carry on.
     */
    @Test
    void aNewProcessThatDiesAfterTheHandOverLeavesTheOldNodeCarryingOn() throws Exception {
        try (HaPairLab lab = HaPairLab.create("hv", dir)) {
            boolean passed = false;
            try {
                writeFiles(lab);
                Path home = dir.resolve("home");
                Path launcher = UpgradeLab.writeLauncher(home, "-XX:TieredStopAtLevel=1");
                Process d1 = lab.director(D1, List.of(launcher.toString()));
                lab.director(D2, List.of(launcher.toString()));
                lab.awaitActive(D1);
                await("both directors see both real servers, " + D2 + " hears " + D1).atMost(BOUND)
                        .pollInterval(Duration.ofMillis(250)).until(() -> lab.routed(D1) && lab.routed(D2)
                                && lab.latestLog(D2).contains("HA: node " + D1 + " is alive"));
                Path stop = dir.resolve("stop");
                Process load = lab.startClients(stop);
                await(D2 + " has every connection").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                        .until(() -> lab.established(D2) >= CONNECTIONS);
                Files.writeString(home.resolve("main"), DiesAfterRelease.class.getName());

                int d2LogBefore = lab.latestLog(D2).length();
                UpgradeLab.Result failed = UpgradeLab.upgrade(lab.socket(D1), dir.resolve("upgrade-1.log"));
                assertThat(failed.status()).as(failed.output()).isEqualTo(1);
                assertThat(failed.output()).contains("lbd upgrade did not complete");
                assertThat(d1.isAlive()).as("the old active goes on").isTrue();
                assertThat(lab.latestLog(D1)).contains("DiesAfterRelease: released with")
                        .contains("HA: node " + D1 + " carries on as active (the hand-over did not complete)");
                observeDeadtimeTwice();
                String peerLog = lab.latestLog(D2).substring(d2LogBefore);
                assertThat(peerLog).as(D2 + "'s log").doesNotContain("HA: backup -> active").doesNotContain("is dead");
                assertThat(lab.listing(D2, "-Ln")).contains("HA: " + D2 + " backup").contains("peer " + D1
                        + " alive (active)");
                assertThat(lab.holdsAddress(D1, NAT_VIP)).isTrue();
                assertThat(lab.holdsAddress(D2, NAT_VIP)).isFalse();

                List<String> results = lab.finishClients(load, stop);
                long carriedOn = results.stream().filter(l -> l.matches(
                        "conn \\d+ SERVERS=[AB] ANSWERS=\\d+ MAXGAP_MS=\\d+ ERROR=- GAPS=.*")).count();
                System.out.println("HaUpgradeNamespaceTest (the new process died after the hand-over): " + D1
                        + " carried on as active, " + D2 + " stayed backup; " + carriedOn + " of " + CONNECTIONS
                        + " DR connections carried on to the same real server");
                assertThat(carriedOn).as("connections answered throughout by one real server, without error:\n%s",
                        String.join("\n", results)).isGreaterThanOrEqualTo(CONNECTIONS - 1);
                passed = true;
            } finally {
                if (!passed) {
                    for (String name : List.of(D1 + "-1", D2 + "-2", "clients", "upgrade-1")) {
                        System.err.println("---- " + name + " ----\n" + lab.log(name));
                    }
                }
            }
        }
    }

    private static void writeFiles(HaPairLab lab) throws java.io.IOException {
        lab.writeFiles(haCf -> haCf.replace("keepalive 2", "keepalive 500ms\nwarntime 1500ms")
                        .replace("deadtime 6", "deadtime " + DEADTIME.toSeconds()), "IPaddr::" + NAT_VIP,
                String.join("\n",
                        "checkinterval = 2",
                        "checktimeout = 2",
                        "quiescent = yes",
                        "eventloops = 1",
                        "metrics = 127.0.0.1:" + METRICS_PORT,
                        "virtual = " + VIP + ":80",
                        "\treal = " + A_IP + ":80 gate 1",
                        "\treal = " + B_IP + ":80 gate 1",
                        "\tservice = http",
                        "\trequest = \"lbcheck.html\"",
                        "\treceive = \"found\"",
                        "\tscheduler = wlc",
                        "\tchecktype = negotiate",
                        "virtual = " + NAT_VIP + ":80",
                        "\treal = " + A_IP + ":80 masq",
                        "\treal = " + B_IP + ":80 masq",
                        "\tscheduler = rr",
                        "\tchecktype = connect",
                        ""));
    }

    private void run(HaPairLab lab) throws Exception {
        writeFiles(lab);
        Path launcher = UpgradeLab.writeLauncher(dir.resolve("home"), "-XX:TieredStopAtLevel=1");
        lab.director(D1, List.of(launcher.toString()));
        lab.director(D2, List.of(launcher.toString()));
        lab.awaitActive(D1);
        await("both directors see both real servers, " + D2 + " hears " + D1).atMost(BOUND)
                .pollInterval(Duration.ofMillis(250)).until(() -> lab.routed(D1) && lab.routed(D2)
                        && lab.latestLog(D2).contains("HA: node " + D1 + " is alive"));
        assertThat(lab.holdsAddress(D1, NAT_VIP)).isTrue();

        Path stopDr = dir.resolve("stop-dr");
        Process load = lab.startClients(stopDr);
        await(D2 + " has every connection (lbadm -Lnc on the backup)").atMost(BOUND)
                .pollInterval(Duration.ofMillis(200)).until(() -> lab.established(D2) >= CONNECTIONS);
        Path stopNat = dir.resolve("stop-nat");
        Process nat = lab.client("nat", "new_connections.py", NAT_VIP, "80", stopNat.toString());

        // 1. upgrade the active node
        int d2LogBefore = lab.latestLog(D2).length();
        long d2Resyncs = lab.metric(D2, METRICS_PORT, "lbd_ha_sync_resyncs_total");
        UpgradeLab.Result first = UpgradeLab.upgrade(lab.socket(D1), dir.resolve("upgrade-1.log"));
        assertThat(first.status()).as(first.output()).isZero();
        long newD1 = newPid(first);
        assertThat(UpgradeLab.awaitExit(oldPid(first), Duration.ofSeconds(30))).as("the old active exits").isTrue();
        observeDeadtimeTwice();
        assertThat(lab.latestLog(D1)).contains("HA: node " + D1 + " carries on as active");
        long activePause = heartbeatPause(lab.latestLog(D1));
        assertThat(lab.listing(D1, "-Ln")).contains("HA: " + D1 + " active");
        assertPeerNoticedNothing(lab, D2, lab.latestLog(D2).substring(d2LogBefore));
        assertThat(lab.metric(D2, METRICS_PORT, "lbd_ha_sync_resyncs_total")).as("resyncs " + D2 + " sent: it saw"
                + " no restart of " + D1).isEqualTo(d2Resyncs);
        assertThat(lab.listing(D2, "-Ln")).contains("HA: " + D2 + " backup");
        assertThat(lab.holdsAddress(D1, NAT_VIP)).as("the masq VIP stays on " + D1).isTrue();
        assertThat(lab.holdsAddress(D2, NAT_VIP)).isFalse();
        await("the new active's workers take the DR connections in at their next packet").atMost(BOUND)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> lab.metric(D1, METRICS_PORT, "lbd_dr_connections_carried_on_total") >= CONNECTIONS - 1);

        Files.writeString(stopNat, "");
        assertThat(nat.waitFor(30, TimeUnit.SECONDS)).as("the NAT stream ends").isTrue();
        String natLine = lab.log("nat").lines().filter(l -> l.startsWith("new ")).findFirst().orElse("");
        assertThat(natLine).as(lab.log("nat")).matches("new ANSWERED=[1-9]\\d* FAILED=0 ERRORS=-");

        // 2. upgrade the backup, then kill -9 the active: the upgraded backup takes over with every connection
        int d1LogBefore = lab.latestLog(D1).length();
        UpgradeLab.Result second = UpgradeLab.upgrade(lab.socket(D2), dir.resolve("upgrade-2.log"));
        assertThat(second.status()).as(second.output()).isZero();
        assertThat(UpgradeLab.awaitExit(oldPid(second), Duration.ofSeconds(30))).as("the old backup exits").isTrue();
        observeDeadtimeTwice();
        assertThat(lab.latestLog(D2)).contains("HA: node " + D2 + " carries on as backup");
        long backupPause = heartbeatPause(lab.latestLog(D2));
        assertThat(lab.listing(D2, "-Ln")).contains("HA: " + D2 + " backup");
        assertPeerNoticedNothing(lab, D1, lab.latestLog(D1).substring(d1LogBefore));
        assertThat(lab.established(D2)).as("the upgraded backup lists every synchronised connection")
                .isGreaterThanOrEqualTo(CONNECTIONS - 1);
        assertThat(lab.holdsAddress(D2, NAT_VIP)).isFalse();

        long killedAt = System.nanoTime() / 1_000_000; // the clients' clock too (both CLOCK_MONOTONIC)
        ProcessHandle.of(newD1).orElseThrow().destroyForcibly();
        assertThat(UpgradeLab.awaitExit(newD1, Duration.ofSeconds(10))).isTrue();
        lab.awaitActive(D2);
        assertThat(lab.holdsAddress(D2, NAT_VIP)).isTrue();
        await(D2 + "'s workers take every connection in at its next packet").atMost(BOUND)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> lab.metric(D2, METRICS_PORT, "lbd_dr_connections_carried_on_total") >= CONNECTIONS - 1);

        List<String> results = lab.finishClients(load, stopDr);
        List<String> carriedOn = results.stream()
                .filter(l -> l.matches("conn \\d+ SERVERS=[AB] ANSWERS=\\d+ MAXGAP_MS=\\d+ ERROR=- GAPS=.*")).toList();
        // Each gap above 500 ms, as "END:LENGTH" (monotonic ms): those that end before the kill are the upgrades'.
        long upgradeGap = 0;
        long takeoverGap = 0;
        for (String r : carriedOn) {
            String gaps = r.replaceAll(".*GAPS=", "");
            for (String gap : gaps.equals("-") ? new String[0] : gaps.split(",")) {
                long end = Long.parseLong(gap.split(":")[0]);
                long length = Long.parseLong(gap.split(":")[1]);
                if (end < killedAt) {
                    upgradeGap = Math.max(upgradeGap, length);
                } else {
                    takeoverGap = Math.max(takeoverGap, length);
                }
            }
        }
        System.out.println("HaUpgradeNamespaceTest: upgraded the active (new pid " + newD1 + "; its heartbeats paused "
                + activePause + " ms) and the backup (" + backupPause + " ms); "
                + natLine + " through the masq VIP during the first; " + carriedOn.size() + " of " + CONNECTIONS
                + " DR connections carried on to the same real server across both upgrades (longest gap above 500 ms: "
                + upgradeGap + " ms, 0 for none) and the upgraded backup's takeover after kill -9 (longest gap "
                + takeoverGap + " ms: deadtime and TCP's backoff)");
        assertThat(carriedOn).as("connections answered throughout by one real server, without error:\n%s",
                String.join("\n", results)).hasSizeGreaterThanOrEqualTo(CONNECTIONS - 1);
        assertThat(upgradeGap).as("the longest gap across the upgrades, below the deadtime a failover would take")
                .isLessThan(DEADTIME.toMillis());
    }

    /**
     * The peer logged, since the upgrade began: no role change, no death, no late heartbeat, no dropped heartbeat
     * or sync datagram, and no VIP added.
     */
    private static void assertPeerNoticedNothing(HaPairLab lab, String peer, String logSince) {
        assertThat(logSince).as(peer + "'s log during the upgrade").doesNotContain("HA: backup -> active")
                .doesNotContain("HA: active -> backup").doesNotContain("is dead").doesNotContain("late heartbeat")
                .doesNotContain("dropped a").doesNotContain("added VIP").doesNotContain("is alive");
    }

    /**
     * How long the node sent no heartbeat across its upgrade: from the old process's "handed over" to the new one's
     * "carries on", by their log lines' clock (one host's).
     */
    private static long heartbeatPause(String log) {
        java.time.Instant from = logTime(log, " handed over as ");
        java.time.Instant to = logTime(log, " carries on as ");
        return Duration.between(from, to).toMillis();
    }

    private static java.time.Instant logTime(String log, String marker) {
        String line = log.lines().filter(l -> l.contains(marker)).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no line with '" + marker + "'"));
        return java.time.OffsetDateTime.parse(line.substring(0, line.indexOf(' '))).toInstant();
    }

    /** The peer would have declared the node dead within one deadtime of silence: look for twice that long. */
    private static void observeDeadtimeTwice() throws InterruptedException {
        Thread.sleep(DEADTIME.multipliedBy(2).toMillis());
    }

    private static long oldPid(UpgradeLab.Result r) {
        Matcher m = PIDS.matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static long newPid(UpgradeLab.Result r) {
        Matcher m = PIDS.matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return Long.parseLong(m.group(2));
    }
}
