package lbd.director.core;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.director.TestHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * alsolisten=, what IPVS does with a firewall mark: two VIP:ports that are one service. Two real servers
 * (127.0.0.2 "A" and 127.0.0.3 "B") each serve both ports and say which port a request came to; a client's
 * connection to the second port goes where its connection to the first went (one persistence table), rr walks
 * one list across both ports (one scheduler), and each connection reaches the real server at the port the client
 * used.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AlsoListenLiveTest {

    private static final List<HttpServer> SERVERS = new ArrayList<>();
    private static int first;
    private static int second;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRealServers() throws IOException {
        first = freePort();
        second = freePort();
        for (String[] server : new String[][] {{"127.0.0.2", "A"}, {"127.0.0.3", "B"}}) {
            for (int port : new int[] {first, second}) {
                HttpServer s = HttpServer.create(new InetSocketAddress(server[0], port), 16);
                byte[] body = (server[1] + ":" + (port == first ? "first" : "second") + "\n")
                        .getBytes(StandardCharsets.US_ASCII);
                s.createContext("/", exchange -> {
                    try (exchange; OutputStream out = exchange.getResponseBody()) {
                        exchange.sendResponseHeaders(200, body.length);
                        out.write(body);
                    }
                });
                s.start();
                SERVERS.add(s);
            }
        }
    }

    @AfterAll
    static void stopRealServers() {
        SERVERS.forEach(s -> s.stop(0));
    }

    @Test
    void aClientsConnectionToTheSecondPortGoesWhereItsFirstWent() throws Exception {
        try (Director director = start("\tpersistent=300\n")) {
            Set<String> servers = new HashSet<>();
            for (int c = 10; c < 20; c++) {
                String client = "127.0.0." + c;
                String onFirst = get(client, first);
                assertThat(onFirst).matches("[AB]:first");
                servers.add(onFirst.substring(0, 1));
                for (int i = 0; i < 3; i++) {
                    assertThat(get(client, second)).as("client %s, second port", client)
                            .isEqualTo(onFirst.charAt(0) + ":second");
                    assertThat(get(client, first)).as("client %s, first port again", client).isEqualTo(onFirst);
                }
            }
            assertThat(servers).as("new clients are scheduled over both servers").containsExactlyInAnyOrder("A", "B");
        }
    }

    @Test
    void oneSchedulerWalksItsListAcrossBothPorts() throws Exception {
        try (Director director = start("")) {
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                seen.add(get("127.0.0.30", i % 2 == 0 ? first : second));
            }
            // rr with one list: B A B A ... whichever port the connection came to (two lists would give B B A A).
            assertThat(seen).containsExactly("B:first", "A:second", "B:first", "A:second", "B:first", "A:second");
        }
    }

    private Director start(String serviceLines) throws IOException {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, """
                virtual=127.0.0.1:%d
                \talsolisten=127.0.0.1:%d
                \treal=127.0.0.2 masq
                \treal=127.0.0.3 masq
                \tscheduler=rr
                \tchecktype=on
                \tprotocol=tcp
                """.formatted(first, second) + serviceLines);
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result).as("%s", result).isInstanceOf(ConfigResult.Loaded.class);
        ClusterConfig config = ((ConfigResult.Loaded) result).config();
        return Director.start(config, Transport.NIO, 1);
    }

    /** One request from {@code source}; a VIP that does not accept yet is retried for a bounded time. */
    private static String get(String source, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String answer = TestHttp.get(source, "127.0.0.1", port);
        while (!answer.matches("[AB]:\\w+") && System.nanoTime() < deadline) {
            Thread.sleep(20);
            answer = TestHttp.get(source, "127.0.0.1", port);
        }
        return answer;
    }
}
