package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.RealServerKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * persistent= through a running director, as an operator sees it: a client keeps its real server over many
 * connections while rr would alternate, across a reload that keeps the service, and after the operator sets
 * its server's weight to 0 (IPVS keeps persistent clients on a quiesced server); a new client does not get it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PersistenceLiveTest {

    @TempDir
    Path dir;

    @Test
    void aClientKeepsItsRealServerAcrossConnectionsReloadsAndWeightZero() throws Exception {
        try (LiveDirector live = LiveDirector.start(dir, false, "\tpersistent=300\n")) {
            Set<String> serving = new HashSet<>(); // both backends answer (each new client network is scheduled)
            int networks = 0;
            for (int c = 200; c < 250 && serving.size() < 2; c++) {
                serving.add(live.get("127.0.0." + c));
                networks++;
            }
            assertThat(serving).containsExactlyInAnyOrder("This is VM2", "This is VM3");
            String server = live.get("127.0.0.5");
            assertThat(server).startsWith("This is VM");
            for (int i = 0; i < 20; i++) {
                assertThat(live.get("127.0.0.5")).as("connection %d of 127.0.0.5", i).isEqualTo(server);
            }
            Set<String> others = new HashSet<>();
            for (int c = 10; c < 14; c++) {
                others.add(live.get("127.0.0." + c));
            }
            assertThat(others).as("four other clients, rr").containsExactlyInAnyOrder("This is VM2", "This is VM3");

            networks += 1 + 4; // 127.0.0.5 and 127.0.0.10..13
            // lbadm -L -n --persistent-conn: one template per client network so far, split over the two servers.
            ControlReply listing = ControlClient.send(dir.resolve("lbd.sock"), "list numeric persistent-conn");
            assertThat(listing.ok()).as(listing.message()).isTrue();
            List<String> rows = listing.body().lines().filter(l -> l.startsWith("  -> 127.")).toList();
            assertThat(rows).hasSize(2);
            int templates = rows.stream().mapToInt(l -> Integer.parseInt(l.substring(34).strip().split("\\s+")[1]))
                    .sum();
            assertThat(templates).as("PersistConn over both servers in%n%s", listing.body()).isEqualTo(networks);

            // A reload that keeps the service (checkinterval changes) keeps the templates.
            Files.writeString(live.file, Files.readString(live.file).replace("checkinterval=1", "checkinterval=2"));
            live.director.reload(load(live.file));
            assertThat(live.get("127.0.0.5")).as("after the reload").isEqualTo(server);

            // The operator quiesces the server: its persistent client stays, a new client goes elsewhere.
            RealServerKey key = live.director.config().virtualServices().getFirst().realServers().stream()
                    .filter(r -> r.address().port() == live.backends.port(server.endsWith("VM2") ? 0 : 1))
                    .findFirst().orElseThrow().key();
            live.director.setWeight(key, 0);
            for (int i = 0; i < 5; i++) {
                assertThat(live.get("127.0.0.5")).as("127.0.0.5 after weight 0").isEqualTo(server);
            }
            assertThat(live.get("127.0.0.99")).as("a new client after weight 0").isNotEqualTo(server);
        }
    }

    private static ClusterConfig load(Path file) {
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result).as("%s", result).isInstanceOf(ConfigResult.Loaded.class);
        return ((ConfigResult.Loaded) result).config();
    }
}
