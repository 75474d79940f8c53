package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.ServiceType;

/**
 * service=nntp against JamNNTPd (Debian's jamnntpd), started once with one newsgroup and an allow list written
 * here. ldirectord's check reads only the greeting, so that is all the server has to do. Debian's InterNetNews
 * (inn2) is not used: its package fails to configure on a host whose name has no domain (this machine's and CI's
 * are such), and innd needs a history database, active file and news user set up before it greets; JamNNTPd is a
 * standalone NNTP server that greets from three small files. JamNNTPd reads its allow list at every connection,
 * which is how one server also shows a refusing greeting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NntpProbeTest {

    private static final String JAMNNTPD = "/usr/sbin/jamnntpd";
    private static final String ALLOW_LOOPBACK = "127.0.0.1 * -\n";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static Path allow;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(JAMNNTPD, "jamnntpd");
        port = ServerDaemon.freePort();
        allow = Files.writeString(dir.resolve("allow"), ALLOW_LOOPBACK); // read access to every group, no posting
        Path groups = Files.writeString(dir.resolve("groups"), "LBD.TEST A 2:1/1 " + dir.resolve("lbdtest") + "\n");
        Path users = Files.writeString(dir.resolve("users"), "");
        server = ServerDaemon.start("jamnntpd", dir, List.of(JAMNNTPD, "-p", String.valueOf(port),
                "-a", allow.toString(), "-g", groups.toString(), "-u", users.toString(),
                "-x", "/etc/jamnntpd.xlat", "-m", "20", "-l", dir.resolve("jamnntpd-events.log").toString()),
                new InetSocketAddress("127.0.0.1", port));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static ProbeResult check(int port) throws InterruptedException {
        return new NntpProbe(TestConfig.negotiate(ServiceType.NNTP).spec(port)).check();
    }

    @Test
    void aServerThatGreetsWith200IsUp() throws Exception {
        assertThat(check(port)).isEqualTo(ProbeResult.up("negotiate: nntp greeting 200"));
    }

    @Test
    void receiveIsNotUsedAsInLdirectord() throws Exception {
        TestConfig config = TestConfig.negotiate(ServiceType.NNTP);
        config.receive = Optional.of("nothing the server says");
        assertThat(new NntpProbe(config.spec(port)).check()).isEqualTo(ProbeResult.up("negotiate: nntp greeting 200"));
    }

    @Test
    void aServerThatRefusesInItsGreetingIsDownWithTheGreeting() throws Exception {
        Files.writeString(allow, "198.18.0.9 * -\n"); // the director is no longer allowed
        try {
            assertThat(check(port)).isEqualTo(ProbeResult.down(
                    "negotiate: nntp greeting refused: \"502 Access denied.\""));
        } finally {
            Files.writeString(allow, ALLOW_LOOPBACK);
        }
    }

    @Test
    void aServerThatNeverGreetsIsDownAfterNegotiateTimeout() throws Exception {
        try (HungServer hung = new HungServer()) { // accepts and stays silent: no daemon can be made to do that
            TestConfig config = TestConfig.negotiate(ServiceType.NNTP);
            config.negotiateTimeout = Duration.ofMillis(300);
            assertThat(new NntpProbe(config.spec(hung.port())).check())
                    .isEqualTo(ProbeResult.down("negotiate: nntp: timed out after 300 ms"));
        }
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        assertThat(check(ServerDaemon.freePort())).isEqualTo(ProbeResult.down("negotiate: nntp: connection refused"));
    }
}
