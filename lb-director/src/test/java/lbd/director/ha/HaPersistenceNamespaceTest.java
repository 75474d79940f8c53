package lbd.director.ha;

import static lbd.director.ha.HaPairLab.A_IP;
import static lbd.director.ha.HaPairLab.B_IP;
import static lbd.director.ha.HaPairLab.BOUND;
import static lbd.director.ha.HaPairLab.CONNECTIONS;
import static lbd.director.ha.HaPairLab.D1;
import static lbd.director.ha.HaPairLab.D2;
import static lbd.director.ha.HaPairLab.VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.director.dr.LongLivedDrLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistence (IPVS's {@code -p}, ldirectord's {@code persistent=}) across an HA failover, in the namespaces of
 * {@link HaPairLab}: a gate service with {@code persistent=300} and rr, so that without its template a client's
 * connections would alternate between the two real servers. The client's 100 long-lived connections all go to one
 * real server (its template's); the backup gets the connections and the template from the sync (and lists the
 * template in lbadm -Lnc, as IPVS's backup does); after kill -9 of the active, the backup carries every connection
 * on to that server, and the client's new connections go there too, by the synced template — not where rr would
 * send them. Needs root and python3; skips otherwise.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HaPersistenceNamespaceTest {

    private static final int METRICS_PORT = 9100;
    private static final int NEW_CONNECTIONS = 6;

    @TempDir
    Path dir;

    @Test
    void aClientKeepsItsRealServerAcrossAFailoverForOldAndNewConnections() throws Exception {
        try (HaPairLab lab = HaPairLab.create("hp", dir)) {
            boolean passed = false;
            try {
                run(lab);
                passed = true;
            } finally {
                if (!passed) {
                    for (String name : List.of(D1 + "-1", D2 + "-2", "clients")) {
                        System.err.println("---- " + name + " ----\n" + lab.log(name));
                    }
                }
            }
        }
    }

    private void run(HaPairLab lab) throws Exception {
        lab.writeFiles(haCf -> haCf.replace("keepalive 2", "keepalive 500ms").replace("deadtime 6", "deadtime 3"), "",
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
                        "\tscheduler = rr",
                        "\tpersistent = 300",
                        "\tchecktype = negotiate",
                        ""));
        Process d1 = lab.director(D1, LongLivedDrLab.javaLbd());
        lab.director(D2, LongLivedDrLab.javaLbd());
        lab.awaitActive(D1);
        await("both directors see both real servers, " + D2 + " hears " + D1).atMost(BOUND)
                .pollInterval(Duration.ofMillis(250)).until(() -> lab.routed(D1) && lab.routed(D2)
                        && lab.latestLog(D2).contains("HA: node " + D1 + " is alive"));

        Path stop = dir.resolve("stop");
        Process load = lab.startClients(stop);
        String server = serverOfTemplate(lab, D1);
        String serverIp = server.equals("A") ? A_IP : B_IP;
        await(D2 + " has the connections and the template").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> lab.established(D2) >= CONNECTIONS && lab.listing(D2, "-Lnc").lines()
                        .anyMatch(l -> isTemplate(l) && l.endsWith(serverIp + ":80")));

        d1.destroyForcibly();
        assertThat(d1.waitFor(10, TimeUnit.SECONDS)).isTrue();
        lab.awaitActive(D2);
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < NEW_CONNECTIONS; i++) {
            answers.add(lab.newConnection());
        }
        List<String> results = lab.finishClients(load, stop);
        long carriedOn = results.stream()
                .filter(l -> l.matches("conn \\d+ SERVERS=" + server + " ANSWERS=\\d+ MAXGAP_MS=\\d+ ERROR=- GAPS=.*"))
                .count();
        System.out.println("HaPersistenceNamespaceTest: the client's template named " + server + "; after kill -9 of "
                + D1 + ", " + carriedOn + " of " + CONNECTIONS + " connections carried on to it, and its new"
                + " connections went to " + answers);
        assertThat(answers).as("the client's new connections after the takeover, by the synced template")
                .containsOnly(server);
        assertThat(carriedOn).as("connections answered throughout by the template's server:\n%s",
                String.join("\n", results)).isGreaterThanOrEqualTo(CONNECTIONS - 1);
    }

    /** The real server ("A" or "B") of the client's template on {@code node}, once it lists one. */
    private static String serverOfTemplate(HaPairLab lab, String node) {
        String[] found = new String[1];
        await("a template on " + node).atMost(BOUND).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (String l : lab.listing(node, "-Lnc").lines().toList()) {
                if (isTemplate(l)) {
                    found[0] = l.endsWith(A_IP + ":80") ? "A" : "B";
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** An lbadm -Lnc line of the client's template: state NONE, the client (network) with port 0. */
    private static boolean isTemplate(String line) {
        return line.contains(" NONE ") && line.contains(" 198.18.0.10:0 ");
    }
}
