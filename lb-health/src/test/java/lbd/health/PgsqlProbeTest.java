package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * service=pgsql against PostgreSQL (Debian's postgresql): a cluster made by initdb with password authentication,
 * started once. initdb takes about 5 s here and the server about 1 s.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PgsqlProbeTest {

    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(BIN.resolve("postgres").toString(), "postgresql");
        port = ServerDaemon.freePort();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = Files.createDirectories(dir.resolve("pg"));
        Files.writeString(home.resolve("pw"), "secret\n");
        // PostgreSQL refuses to run as root: its files and processes belong to the postgres user.
        ServerDaemon.run(dir, Duration.ofSeconds(30), List.of("chown", "-R", "postgres:postgres", home.toString()));
        ServerDaemon.run(dir, Duration.ofSeconds(90), asPostgres(BIN.resolve("initdb").toString(), "-D",
                home.resolve("data").toString(), "--auth=scram-sha-256", "--username=postgres",
                "--pwfile=" + home.resolve("pw"), "--no-sync", "--no-instructions"));
        server = ServerDaemon.start("postgres", dir, asPostgres(BIN.resolve("postgres").toString(), "-D",
                home.resolve("data").toString(), "-p", Integer.toString(port), "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=" + home, "-c", "fsync=off"),
                new InetSocketAddress("127.0.0.1", port));
    }

    private static List<String> asPostgres(String... command) {
        List<String> all = new java.util.ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres",
                "--init-groups", "--"));
        all.addAll(List.of(command));
        return all;
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static TestConfig sql(String login, String passwd, String database, String request) {
        TestConfig config = TestConfig.negotiate(ServiceType.PGSQL).login(login, passwd, database);
        config.request = Optional.ofNullable(request);
        config.negotiateTimeout = Duration.ofSeconds(10);
        config.connectTimeout = Duration.ofSeconds(10);
        return config;
    }

    private static ProbeResult check(TestConfig config) throws InterruptedException {
        return new SqlProbe(config.spec(port), SqlProbe.Dialect.PGSQL).check();
    }

    @Test
    void aQueryThatReturnsARowIsUp() throws Exception {
        // ldirectord's parser writes a '/' before the request; the SQL is what follows it.
        assertThat(check(sql("postgres", "secret", "postgres", "/SELECT 1")))
                .isEqualTo(ProbeResult.up("negotiate: pgsql request \"SELECT 1\" returned a row"));
    }

    @Test
    void receiveIsNotUsedAsInLdirectord() throws Exception {
        TestConfig config = sql("postgres", "secret", null, "SELECT 'ok'");
        config.receive = Optional.of("never in the answer");
        assertThat(check(config).up()).isTrue();
    }

    @Test
    void aQueryThatReturnsNoRowIsDown() throws Exception {
        assertThat(check(sql("postgres", "secret", "postgres", "SELECT 1 WHERE false")))
                .isEqualTo(ProbeResult.down("negotiate: pgsql request \"SELECT 1 WHERE false\" returned no rows"));
    }

    @Test
    void wrongCredentialsAreDownWithTheServersReason() throws Exception {
        assertThat(check(sql("postgres", "wrong", "postgres", "SELECT 1"))).isEqualTo(ProbeResult.down(
                "negotiate: pgsql login as postgres failed: FATAL: password authentication failed for user"
                        + " \"postgres\" (SQLSTATE 28P01)"));
    }

    @Test
    void aMissingDatabaseIsDown() throws Exception {
        ProbeResult result = check(sql("postgres", "secret", "portal", "SELECT 1"));
        assertThat(result).isEqualTo(ProbeResult.down(
                "negotiate: pgsql login as postgres failed: FATAL: database \"portal\" does not exist (SQLSTATE 3D000)"));
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        int dead = ServerDaemon.freePort();
        ProbeResult result = new SqlProbe(sql("postgres", "secret", "postgres", "SELECT 1").spec(dead),
                SqlProbe.Dialect.PGSQL).check();
        assertThat(result).isEqualTo(ProbeResult.down("negotiate: pgsql login as postgres failed: connection refused"));
    }
}
