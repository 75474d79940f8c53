package lbd.director.upgrade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.director.dr.LongLivedDrLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code lbd upgrade} of a director with a gate service keeps its established direct-routing connections and
 * accepts new ones throughout, in the namespaces of {@link LongLivedDrLab} (two gate real servers set up with
 * scripts/vip-setup.sh, wlc): lbd runs through an installed-style launcher ({@link UpgradeLab#writeLauncher}), 100
 * long-lived TCP connections each exchange a line every 100 ms while a stream of new connections opens one every
 * 50 ms; {@code lbd upgrade} hands the connections over: at least 99 carry on to the real server they had, not one
 * new connection fails, the new process schedules new connections itself and the old one exits. And when the new
 * process dies after the old one held its DR workers for the hand-over, the old one forwards again. The same with
 * ipip real servers (each decapsulating on tunl0). Needs root and python3; skips otherwise.
 */
@Timeout(240)
class DrUpgradeNamespaceTest {

    private static final int METRICS_PORT = 9105; // on the director namespace's own loopback
    private static final Pattern HELD = Pattern.compile("lbd_dr_frames_dropped_total\\{reason=\"held\"} (\\d+(?:\\.\\d+)?)");
    private static final Pattern PIDS = Pattern.compile("old pid (\\d+), new pid (\\d+) \\(serving\\)");

    @Test
    void anUpgradeKeepsEstablishedDirectRoutingConnectionsOnTheirRealServersAndAcceptsNewOnes() throws Exception {
        upgradeUnderLongLivedConnections("u", "gate");
    }

    /**
     * The same with ipip real servers: ipip runs on the same DR workers and flows, and the new process resolves the
     * tunnels' egress from the routing table before its workers forward.
     */
    @Test
    void anUpgradeKeepsEstablishedIpipConnectionsOnTheirRealServers() throws Exception {
        upgradeUnderLongLivedConnections("ui", "ipip");
    }

    /**
     * The same with xdp=yes: the old process detaches its XDP program when it holds its workers for the hand-over,
     * and the new one attaches its own when it is released (an interface takes one program at a time).
     */
    @Test
    void anUpgradeWithXdpKeepsEstablishedConnectionsOnTheirRealServers() throws Exception {
        upgradeUnderLongLivedConnections("ux", "gate", "xdp=yes");
    }

    private void upgradeUnderLongLivedConnections(String topic, String method, String... globals) throws Exception {
        boolean passed = false;
        try (LongLivedDrLab lab = LongLivedDrLab.create(topic, method)) {
            try {
                List<String> lines = new java.util.ArrayList<>(List.of(globals));
                lines.add("metrics=127.0.0.1:" + METRICS_PORT);
                lab.writeConfig("wlc", lines.toArray(String[]::new));
                Path launcher = UpgradeLab.writeLauncher(lab.dir.resolve("home"), "-XX:TieredStopAtLevel=1");
                Path pidFile = lab.dir.resolve("lbd.pid");
                Process old = lab.startLbd("lbd", List.of(launcher.toString()), "--pid-file", pidFile.toString());
                lab.awaitBothRouted(old);
                Process load = lab.startClients();
                assertThat(lab.established()).as("the connections, before the upgrade").isGreaterThanOrEqualTo(99);
                Process stream = lab.startNewConnections();

                UpgradeLab.Result upgrade = UpgradeLab.upgrade(lab.socket, lab.dir.resolve("upgrade.out"));
                assertThat(upgrade.status()).as(upgrade.output()).isZero();
                Matcher pids = PIDS.matcher(upgrade.output());
                assertThat(pids.find()).as(upgrade.output()).isTrue();
                assertThat(Long.parseLong(pids.group(1))).isEqualTo(old.pid());
                long next = Long.parseLong(pids.group(2));
                assertThat(old.waitFor(30, TimeUnit.SECONDS)).as("the old lbd exits").isTrue();
                assertThat(Files.readString(pidFile).strip()).isEqualTo(Long.toString(next));
                assertThat(UpgradeLab.alive(next)).as("the new lbd serves").isTrue();
                assertThat(lab.log("lbd")).containsPattern("lbd upgrade: \\d+ DR connections and 0 persistence"
                        + " templates handed over").containsPattern("lbd upgrade: \\d+ DR connections and 0"
                        + " persistence templates taken over");

                // The new lbd alone forwards now: the connections handed over are in its table at their next
                // packet, and connections it scheduled itself have come and gone (closing states).
                await("the connections taken in, new ones scheduled by the new lbd").atMost(LongLivedDrLab.BOUND)
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> lab.activeConnections() >= 99 && lab.listing("-Lnc").lines()
                                .anyMatch(l -> l.contains(LongLivedDrLab.VIP) && !l.contains("ESTABLISHED")));

                // The new lbd's workers started held: they dropped what they received while the old one forwarded.
                String metrics = lab.inDirector("curl", "-s", "--max-time", "5",
                        "http://127.0.0.1:" + METRICS_PORT + "/metrics").assertOk("the new lbd's metrics").output();
                Matcher held = HELD.matcher(metrics);
                assertThat(held.find()).as(metrics).isTrue();
                long heldFrames = (long) Double.parseDouble(held.group(1));
                assertThat(heldFrames).as("frames the new lbd dropped while held").isPositive();
                if (List.of(globals).contains("xdp=yes")) {
                    assertThat(lab.inDirector("ip", "link", "show", "eth0").output()).as("the new lbd's XDP program")
                            .contains("xdpgeneric");
                    assertThat(lab.log("lbd")).contains("direct routing held: receiving through TPACKET_V3 rings")
                            .contains("direct routing released: receiving through AF_XDP (eth0 queue 0")
                            .doesNotContain("AF_XDP refused");
                }

                LongLivedDrLab.Outcome outcome = lab.finishClients(load);
                LongLivedDrLab.NewConnections fresh = lab.newConnections(stream);
                System.out.println("DrUpgradeNamespaceTest (" + method + "): " + outcome.carriedOn().size() + " of "
                        + LongLivedDrLab.CONNECTIONS + " connections carried on to the same real server across lbd"
                        + " upgrade; longest gap " + outcome.maxGapMillis() + " ms; new connections meanwhile: "
                        + fresh.answered() + " answered, " + fresh.failed() + " failed; the new lbd dropped " + heldFrames
                        + " frames while held");
                assertThat(outcome.results()).hasSize(LongLivedDrLab.CONNECTIONS);
                assertThat(outcome.carriedOn()).as("connections answered throughout by one real server, without"
                        + " error:\n%s", String.join("\n", outcome.results())).hasSizeGreaterThanOrEqualTo(99);
                assertThat(fresh.failed()).as("new connections that failed: %s", fresh.errors()).isZero();
                assertThat(fresh.answered()).as("new connections answered").isPositive();
                passed = true;
            } finally {
                if (!passed) {
                    lab.dump("lbd", "clients", "new");
                    Path out = lab.dir.resolve("upgrade.out");
                    System.err.println("---- lbd upgrade ----\n" + (Files.exists(out) ? Files.readString(out) : ""));
                }
            }
        }
    }

    /**
     * The new lbd says it serves, takes the release (the old one's DR workers held, their connections sent) and
     * exits before "ready": lbd upgrade fails, and the old lbd, whose control socket is closed by then, forwards
     * again — the long-lived connections carry on and new ones are answered.
     */
    @Test
    void aNewLbdThatDiesAfterTheReleaseLeavesTheOldOneForwarding() throws Exception {
        boolean passed = false;
        try (LongLivedDrLab lab = LongLivedDrLab.create("v")) {
            try {
                lab.writeConfig("wlc");
                Path home = lab.dir.resolve("home");
                Path launcher = UpgradeLab.writeLauncher(home, "-XX:TieredStopAtLevel=1");
                Process old = lab.startLbd("lbd", List.of(launcher.toString()));
                lab.awaitBothRouted(old);
                Process load = lab.startClients();
                Process stream = lab.startNewConnections();
                Files.writeString(home.resolve("main"), DiesAfterRelease.class.getName());

                UpgradeLab.Result upgrade = UpgradeLab.upgrade(lab.socket, lab.dir.resolve("upgrade.out"));
                assertThat(upgrade.status()).as(upgrade.output()).isEqualTo(1);
                assertThat(upgrade.output()).contains("lbd upgrade did not complete");
                assertThat(old.isAlive()).as("the old lbd goes on").isTrue();
                assertThat(lab.log("lbd")).contains("DiesAfterRelease: released with")
                        .containsPattern("lbd upgrade: \\d+ DR connections and 0 persistence templates handed"
                                + " over");
                await("a new connection answered by the old lbd").atMost(LongLivedDrLab.BOUND)
                        .pollInterval(Duration.ofMillis(250)).until(lab::answersNewConnection);

                LongLivedDrLab.Outcome outcome = lab.finishClients(load);
                LongLivedDrLab.NewConnections fresh = lab.newConnections(stream);
                System.out.println("DrUpgradeNamespaceTest (the new lbd died after the release): "
                        + outcome.carriedOn().size() + " of " + LongLivedDrLab.CONNECTIONS + " connections carried"
                        + " on to the same real server; longest gap " + outcome.maxGapMillis() + " ms; new"
                        + " connections meanwhile: " + fresh.answered() + " answered, " + fresh.failed() + " failed");
                assertThat(outcome.carriedOn()).as("connections answered throughout by one real server, without"
                        + " error:\n%s", String.join("\n", outcome.results())).hasSizeGreaterThanOrEqualTo(99);
                assertThat(fresh.failed()).as("new connections that failed: %s", fresh.errors()).isZero();
                passed = true;
            } finally {
                if (!passed) {
                    lab.dump("lbd", "clients", "new");
                    Path out = lab.dir.resolve("upgrade.out");
                    System.err.println("---- lbd upgrade ----\n" + (Files.exists(out) ? Files.readString(out) : ""));
                }
            }
        }
    }
}
