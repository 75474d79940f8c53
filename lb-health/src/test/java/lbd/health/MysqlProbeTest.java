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
 * service=mysql against MariaDB (Debian's mariadb-server): a data directory made by mariadb-install-db and a user
 * with a password, started once. mariadb-install-db takes about 10 s here and the server about 3 s.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MysqlProbeTest {

    private static final String MARIADBD = "/usr/sbin/mariadbd";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(MARIADBD, "mariadb-server");
        port = ServerDaemon.freePort();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = Files.createDirectories(dir.resolve("data"));
        // The server drops to the mysql user, which must own its data directory.
        ServerDaemon.run(dir, Duration.ofSeconds(30), List.of("chown", "mysql:mysql", data.toString()));
        ServerDaemon.run(dir, Duration.ofSeconds(90), List.of("mariadb-install-db", "--no-defaults",
                "--datadir=" + data, "--user=mysql", "--auth-root-authentication-method=normal", "--skip-test-db",
                "--skip-name-resolve"));
        Path init = dir.resolve("init.sql");
        Files.writeString(init, "CREATE USER IF NOT EXISTS 'lbd'@'%' IDENTIFIED BY 'secret';\n"
                + "GRANT SELECT ON *.* TO 'lbd'@'%';\n"); // one statement per line: --init-file's rule
        server = ServerDaemon.start("mariadbd", dir, List.of(MARIADBD, "--no-defaults", "--datadir=" + data,
                "--user=mysql", "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + data.resolve("mysqld.sock"),
                "--pid-file=" + data.resolve("mysqld.pid"), "--skip-name-resolve", "--init-file=" + init,
                "--innodb-buffer-pool-size=16M", "--skip-log-bin"),
                new InetSocketAddress("127.0.0.1", port));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static TestConfig sql(String login, String passwd, String database, String request) {
        TestConfig config = TestConfig.negotiate(ServiceType.MYSQL).login(login, passwd, database);
        config.request = Optional.ofNullable(request);
        config.negotiateTimeout = Duration.ofSeconds(10);
        config.connectTimeout = Duration.ofSeconds(10);
        return config;
    }

    private static ProbeResult check(TestConfig config) throws InterruptedException {
        return new SqlProbe(config.spec(port), SqlProbe.Dialect.MYSQL).check();
    }

    @Test
    void aQueryThatReturnsARowIsUp() throws Exception {
        assertThat(check(sql("lbd", "secret", "mysql", "/SELECT 1")))
                .isEqualTo(ProbeResult.up("negotiate: mysql request \"SELECT 1\" returned a row"));
        assertThat(check(sql("lbd", "secret", null, "SELECT User FROM mysql.user WHERE User = 'lbd'")).up()).isTrue();
    }

    @Test
    void aQueryThatReturnsNoRowIsDown() throws Exception {
        assertThat(check(sql("lbd", "secret", "mysql", "SELECT User FROM user WHERE User = 'nobody'")))
                .isEqualTo(ProbeResult.down("negotiate: mysql request \"SELECT User FROM user WHERE User = 'nobody'\""
                        + " returned no rows"));
    }

    @Test
    void wrongCredentialsAreDownWithTheServersReason() throws Exception {
        ProbeResult result = check(sql("lbd", "wrong", "mysql", "SELECT 1"));
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("negotiate: mysql login as lbd failed: ")
                .contains("Access denied for user 'lbd'@'127.0.0.1' (using password: YES)").endsWith("(SQLSTATE 28000)");
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        int dead = ServerDaemon.freePort();
        ProbeResult result = new SqlProbe(sql("lbd", "secret", "mysql", "SELECT 1").spec(dead),
                SqlProbe.Dialect.MYSQL).check();
        assertThat(result).isEqualTo(ProbeResult.down("negotiate: mysql login as lbd failed: connection refused"));
    }
}
