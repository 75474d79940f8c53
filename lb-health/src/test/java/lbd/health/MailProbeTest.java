package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.ServiceType;

/**
 * service=pop, pops, imap and imaps against one dovecot (Debian's dovecot-imapd and dovecot-pop3d) listening on
 * four loopback ports, the TLS ones with a self-signed certificate made here; started once.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MailProbeTest {

    private static final String DOVECOT = "/usr/sbin/dovecot";
    /** Generous: dovecot starts its login processes on the first connection, slowly on a loaded machine. */
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static final Map<ServiceType, Integer> PORTS = new java.util.EnumMap<>(ServiceType.class);

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(DOVECOT, "dovecot-imapd dovecot-pop3d");
        ServerDaemon.assumeInstalled("/usr/lib/dovecot/pop3", "dovecot-pop3d");
        ServerDaemon.assumeInstalled("/usr/lib/dovecot/imap", "dovecot-imapd");
        for (ServiceType s : List.of(ServiceType.IMAP, ServiceType.IMAPS, ServiceType.POP, ServiceType.POPS)) {
            PORTS.put(s, ServerDaemon.freePort());
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path mail = Files.createDirectories(dir.resolve("mail"));
        Files.setPosixFilePermissions(mail, PosixFilePermissions.fromString("rwxrwxrwx"));
        ServerDaemon.selfSignedPem(dir, dir.resolve("cert.pem"), dir.resolve("key.pem"));
        Files.writeString(dir.resolve("users"), "tester:{PLAIN}secret\n");
        Path conf = dir.resolve("dovecot.conf");
        Files.writeString(conf, """
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = /dev/stderr
                protocols = imap pop3
                listen = 127.0.0.1
                ssl = yes
                ssl_cert = <%1$s/cert.pem
                ssl_key = <%1$s/key.pem
                disable_plaintext_auth = no
                auth_mechanisms = plain login
                # Failed logins are part of the test: answer them at once, and do not slow down later logins.
                auth_failure_delay = 0
                service anvil {
                  unix_listener anvil-auth-penalty {
                    mode = 0
                  }
                }
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN %1$s/users
                }
                userdb {
                  driver = static
                  args = uid=nobody gid=nogroup home=%1$s/mail/%%u
                }
                mail_location = maildir:%1$s/mail/%%u
                service imap-login {
                  inet_listener imap {
                    port = %2$d
                  }
                  inet_listener imaps {
                    port = %3$d
                    ssl = yes
                  }
                }
                service pop3-login {
                  inet_listener pop3 {
                    port = %4$d
                  }
                  inet_listener pop3s {
                    port = %5$d
                    ssl = yes
                  }
                }
                """.formatted(dir, PORTS.get(ServiceType.IMAP), PORTS.get(ServiceType.IMAPS),
                PORTS.get(ServiceType.POP), PORTS.get(ServiceType.POPS)));
        server = ServerDaemon.start("dovecot", dir, List.of(DOVECOT, "-F", "-c", conf.toString()),
                PORTS.values().stream().map(p -> new InetSocketAddress("127.0.0.1", p))
                        .toArray(InetSocketAddress[]::new));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static ProbeResult check(ServiceType service, TestConfig config) throws InterruptedException {
        config.negotiateTimeout = TIMEOUT;
        config.connectTimeout = TIMEOUT;
        CheckSpec spec = config.spec(PORTS.get(service));
        Probe probe = switch (service) {
            case POP -> new PopProbe(spec, false);
            case POPS -> new PopProbe(spec, true);
            case IMAP -> new ImapProbe(spec, false);
            case IMAPS -> new ImapProbe(spec, true);
            default -> throw new IllegalArgumentException(service.toString());
        };
        return probe.check();
    }

    @Test
    void withoutLoginTheGreetingIsTheCheck() throws Exception {
        assertThat(check(ServiceType.POP, TestConfig.negotiate(ServiceType.POP)))
                .isEqualTo(ProbeResult.up("negotiate: pop greeting +OK"));
        assertThat(check(ServiceType.POPS, TestConfig.negotiate(ServiceType.POPS)))
                .isEqualTo(ProbeResult.up("negotiate: pops greeting +OK"));
        assertThat(check(ServiceType.IMAP, TestConfig.negotiate(ServiceType.IMAP)))
                .isEqualTo(ProbeResult.up("negotiate: imap greeting OK"));
        assertThat(check(ServiceType.IMAPS, TestConfig.negotiate(ServiceType.IMAPS)))
                .isEqualTo(ProbeResult.up("negotiate: imaps greeting OK"));
    }

    @Test
    void withLoginTheServerMustAcceptTheCredentials() throws Exception {
        for (ServiceType s : List.of(ServiceType.POP, ServiceType.POPS, ServiceType.IMAP, ServiceType.IMAPS)) {
            assertThat(check(s, TestConfig.negotiate(s).login("tester", "secret", null)))
                    .isEqualTo(ProbeResult.up("negotiate: " + s.configName() + " logged in as tester"));
        }
    }

    @Test
    void wrongCredentialsAreDownWithTheServersReply() throws Exception {
        assertThat(check(ServiceType.POP, TestConfig.negotiate(ServiceType.POP).login("tester", "wrong", null)))
                .isEqualTo(ProbeResult.down(
                        "negotiate: pop login as tester refused: \"-ERR [AUTH] Authentication failed.\""));
        assertThat(check(ServiceType.POPS, TestConfig.negotiate(ServiceType.POPS).login("tester", "wrong", null)))
                .isEqualTo(ProbeResult.down(
                        "negotiate: pops login as tester refused: \"-ERR [AUTH] Authentication failed.\""));
        ProbeResult imap = check(ServiceType.IMAP, TestConfig.negotiate(ServiceType.IMAP).login("tester", "wrong", null));
        assertThat(imap.up()).isFalse();
        assertThat(imap.detail()).startsWith("negotiate: imap login as tester refused: \"")
                .contains("[AUTHENTICATIONFAILED] Authentication failed.");
        ProbeResult imaps = check(ServiceType.IMAPS, TestConfig.negotiate(ServiceType.IMAPS).login("tester", "wrong", null));
        assertThat(imaps.up()).isFalse();
        assertThat(imaps.detail()).startsWith("negotiate: imaps login as tester refused: \"");
    }

    @Test
    void plainTextToATlsPortIsDown() throws Exception {
        TestConfig config = TestConfig.negotiate(ServiceType.POP);
        config.negotiateTimeout = Duration.ofSeconds(1);
        ProbeResult result = new PopProbe(config.spec(PORTS.get(ServiceType.POPS)), false).check();
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("negotiate: pop");
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        int dead = ServerDaemon.freePort();
        for (ServiceType s : List.of(ServiceType.POP, ServiceType.POPS)) {
            assertThat(new PopProbe(TestConfig.negotiate(s).spec(dead), s == ServiceType.POPS).check())
                    .isEqualTo(ProbeResult.down("negotiate: " + s.configName() + ": connection refused"));
        }
        for (ServiceType s : List.of(ServiceType.IMAP, ServiceType.IMAPS)) {
            assertThat(new ImapProbe(TestConfig.negotiate(s).spec(dead), s == ServiceType.IMAPS).check())
                    .isEqualTo(ProbeResult.down("negotiate: " + s.configName() + ": connection refused"));
        }
    }
}
