package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A restart of a single director under {@code cleanstop=no} keeps its established direct-routing connections, in
 * the namespaces of {@link LongLivedDrLab} (two gate real servers set up with scripts/vip-setup.sh, scheduler wlc):
 * 100 long-lived TCP connections each exchange a line every 100 ms; lbd is stopped (SIGTERM: it saves the DR
 * state) and started again (it restores it): at least 99 connections carry on, each answered by the one real
 * server it had before. The same with a persistence template (the client's new connections keep its real server),
 * and without saved state under sloppytcp=yes with mh. Needs root and python3; skips otherwise.
 */
@Timeout(240)
class DrRestartNamespaceTest {

    @Test
    void aRestartWithCleanstopNoKeepsEstablishedConnectionsOnTheirRealServers() throws Exception {
        restart(true, "wlc");
    }

    /**
     * Nothing saved (cleanstop=yes), but sloppytcp=yes and mh: the new process schedules each connection's next
     * packet, and mh sends it to the real server the connection had (what survives a director change no sync
     * covered).
     */
    @Test
    void withoutSavedStateSloppyTcpAndMhCarryConnectionsOnToTheirRealServers() throws Exception {
        restart(false, "mh");
    }

    /**
     * cleanstop=no with persistent=300 and rr (which without the template would alternate the client's connections):
     * the client's template is saved and restored with the connections; its connections carry on to the template's
     * real server and its new connections after the restart go there too.
     */
    @Test
    void aRestartWithCleanstopNoKeepsAClientsPersistenceTemplate() throws Exception {
        restart(true, "rr", "persistent=300");
    }

    private void restart(boolean cleanstopNo, String scheduler, String... serviceLines) throws Exception {
        boolean passed = false;
        boolean persistent = serviceLines.length > 0;
        try (LongLivedDrLab lab = LongLivedDrLab.create("r")) {
            try {
                lab.writeConfig(scheduler, java.util.List.of(serviceLines),
                        cleanstopNo ? "cleanstop=no" : "sloppytcp=yes");
                Process lbd = lab.startLbd("lbd-1", LongLivedDrLab.javaLbd());
                lab.awaitBothRouted(lbd);
                Process load = lab.startClients();
                assertThat(lab.established()).as("the connections, before the restart").isGreaterThanOrEqualTo(99);

                lbd.destroy(); // SIGTERM: cleanstop=no saves the DR state
                assertThat(lbd.waitFor(30, TimeUnit.SECONDS)).as("lbd stops").isTrue();
                Path saved = lab.runDir.resolve("ldirectord.cf.dr-state");
                if (cleanstopNo) {
                    assertThat(saved).as("the saved DR state").isNotEmptyFile();
                    assertThat(lab.log("lbd-1")).containsPattern("cleanstop=no: 1?\\d\\d DR connections and "
                            + (persistent ? 1 : 0) + " persistence templates saved to "
                            + java.util.regex.Pattern.quote(saved.toString()));
                } else {
                    assertThat(saved).as("cleanstop=yes saves nothing").doesNotExist();
                }

                Process again = lab.startLbd("lbd-2", LongLivedDrLab.javaLbd());
                if (cleanstopNo) {
                    await("the saved connections restored").atMost(LongLivedDrLab.BOUND)
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> lab.log("lbd-2").contains("of the previous run carry on"));
                }
                await("the connections taken in by the new process").atMost(LongLivedDrLab.BOUND)
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> again.isAlive() && lab.activeConnections() >= 99);
                assertThat(saved).as("taken once: removed at start").doesNotExist();
                java.util.List<String> fresh = new java.util.ArrayList<>();
                if (persistent) {
                    for (int i = 0; i < 6; i++) {
                        fresh.add(lab.newConnectionServer());
                    }
                }

                LongLivedDrLab.Outcome outcome = lab.finishClients(load);
                assertThat(outcome.results()).hasSize(LongLivedDrLab.CONNECTIONS);
                System.out.println("DrRestartNamespaceTest (" + (cleanstopNo ? "cleanstop=no" : "sloppytcp=yes, mh")
                        + "): " + outcome.carriedOn().size() + " of " + LongLivedDrLab.CONNECTIONS + " connections"
                        + " carried on to the same real server across the restart; longest gap "
                        + outcome.maxGapMillis() + " ms" + (persistent ? "; the client's new connections went to "
                        + fresh + " by its restored template" : ""));
                if (persistent) {
                    String server = outcome.carriedOn().isEmpty() ? "?"
                            : outcome.carriedOn().getFirst().replaceAll(".*SERVERS=([AB]).*", "$1");
                    assertThat(outcome.carriedOn()).as("every connection on the template's real server")
                            .allMatch(l -> l.contains("SERVERS=" + server + " "));
                    assertThat(fresh).as("the client's new connections, by the restored template").containsOnly(server);
                }
                assertThat(outcome.carriedOn()).as("connections answered throughout by one real server, without"
                        + " error:\n%s", String.join("\n", outcome.results())).hasSizeGreaterThanOrEqualTo(99);
                assertThat(lab.log("lbd-2")).as("no warning about the saved state")
                        .doesNotContainPattern("WARN .*cleanstop=no:");
                passed = true;
            } finally {
                if (!passed) {
                    lab.dump("lbd-1", "lbd-2", "clients");
                }
            }
        }
    }
}
