package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.ServiceType;

/** service=ftp against vsftpd (anonymous only, serving one welcome.msg), started once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FtpProbeTest {

    private static final String VSFTPD = "/usr/sbin/vsftpd";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(VSFTPD, "vsftpd");
        port = ServerDaemon.freePort();
        Path root = Files.createDirectories(dir.resolve("root"));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(root.resolve("welcome.msg"), "Welcome to the lbd test server\n");
        for (Path p : List.of(dir, root, empty)) {
            // vsftpd refuses a writable chroot, and its unprivileged ftp user must read the files.
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path conf = dir.resolve("vsftpd.conf");
        Files.writeString(conf, String.join("\n",
                "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", "listen_port=" + port,
                "background=NO", "anonymous_enable=YES", "anon_root=" + root, "no_anon_password=YES",
                "local_enable=NO", "write_enable=NO", "seccomp_sandbox=NO", "secure_chroot_dir=" + empty,
                "pasv_enable=YES", "xferlog_enable=NO", "vsftpd_log_file=" + dir.resolve("transfers.log"), ""));
        server = ServerDaemon.start("vsftpd", dir, List.of(VSFTPD, conf.toString()),
                new InetSocketAddress("127.0.0.1", port));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static ProbeResult check(TestConfig config) throws InterruptedException {
        return new FtpProbe(config.spec(port)).check();
    }

    private static TestConfig welcome(String receive) {
        TestConfig config = TestConfig.negotiate(ServiceType.FTP);
        config.request = Optional.of("welcome.msg"); // ldirectord's sample: fetched as /welcome.msg
        config.receive = Optional.of(receive);
        return config;
    }

    @Test
    void anonymousRetrievalOfAFileThatMatchesIsUp() throws Exception {
        assertThat(check(welcome("Welcome"))).isEqualTo(ProbeResult.up("negotiate: ftp RETR /welcome.msg (31 bytes)"));
    }

    @Test
    void withoutRequestALoginIsTheCheck() throws Exception {
        assertThat(check(TestConfig.negotiate(ServiceType.FTP)))
                .isEqualTo(ProbeResult.up("negotiate: ftp logged in as anonymous"));
    }

    @Test
    void aFileThatDoesNotMatchReceiveIsDown() throws Exception {
        assertThat(check(welcome("Goodbye"))).isEqualTo(ProbeResult.down(
                "negotiate: ftp receive \"Goodbye\" not matched in /welcome.msg (31 bytes)"));
    }

    @Test
    void aMissingFileIsDownWithTheServersReply() throws Exception {
        TestConfig config = welcome("Welcome");
        config.request = Optional.of("/missing.msg");
        assertThat(check(config)).isEqualTo(ProbeResult.down(
                "negotiate: ftp RETR /missing.msg refused: \"550 Failed to open file.\""));
    }

    @Test
    void aRefusedLoginIsDownWithTheServersReply() throws Exception {
        TestConfig config = welcome("Welcome").login("operator", "wrong", null);
        assertThat(check(config)).isEqualTo(ProbeResult.down(
                "negotiate: ftp login as operator refused: \"530 This FTP server is anonymous only.\""));
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        int dead = ServerDaemon.freePort();
        assertThat(new FtpProbe(welcome("Welcome").spec(dead)).check())
                .isEqualTo(ProbeResult.down("negotiate: ftp: connection refused"));
    }
}
