package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

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

import lbd.config.model.CheckCredentials;
import lbd.config.model.Protocol;
import lbd.config.model.ServiceType;

/**
 * service=radius against FreeRADIUS (Debian's freeradius), started once with a configuration written here: one
 * client (127.0.0.1, secret {@value #SECRET}) and one user ({@value #USER} / {@value #PASSWORD}) checked by PAP.
 * As ldirectord's check_radius (Authen::Radius check_pwd), only an Access-Accept is up: an Access-Reject (wrong
 * password or unknown user), an answer signed with another secret and no answer are down.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RadiusProbeTest {

    private static final String FREERADIUS = "/usr/sbin/freeradius";
    private static final String SECRET = "s3cret";
    private static final String USER = "lbd";
    private static final String PASSWORD = "right";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(FREERADIUS, "freeradius");
        port = ServerDaemon.freeUdpPort();
        Path conf = dir.resolve("radiusd.conf");
        // Every path under the test's directory; reject_delay 0 so that an Access-Reject comes at once.
        Files.writeString(conf, """
                prefix = /usr
                exec_prefix = /usr
                sysconfdir = %1$s
                localstatedir = %1$s
                sbindir = /usr/sbin
                logdir = %1$s
                raddbdir = %1$s
                radacctdir = %1$s
                name = freeradius
                confdir = %1$s
                modconfdir = %1$s
                run_dir = %1$s
                db_dir = %1$s
                libdir = /usr/lib/freeradius
                pidfile = %1$s/radiusd.pid
                max_request_time = 5
                cleanup_delay = 0
                max_requests = 64
                hostname_lookups = no
                log {
                	destination = stdout
                }
                security {
                	allow_core_dumps = no
                	max_attributes = 200
                	reject_delay = 0
                	status_server = no
                }
                client lbd {
                	ipaddr = 127.0.0.1
                	secret = %3$s
                }
                modules {
                	pap {
                	}
                }
                server lbd {
                	listen {
                		type = auth
                		ipaddr = 127.0.0.1
                		port = %2$d
                	}
                	authorize {
                		if (&User-Name == "%4$s") {
                			update control {
                				&Cleartext-Password := "%5$s"
                			}
                		}
                		pap
                	}
                	authenticate {
                		Auth-Type PAP {
                			pap
                		}
                	}
                }
                """.formatted(dir, port, SECRET, USER, PASSWORD));
        // -X: in the foreground, one thread, every request in the log (quoted when the start fails).
        server = ServerDaemon.startUntilLogged("freeradius", dir, List.of(FREERADIUS, "-X", "-d", dir.toString()),
                "Ready to process requests");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static ProbeResult check(int port, String login, String passwd, String secret) throws Exception {
        TestConfig c = TestConfig.negotiate(ServiceType.RADIUS);
        c.protocol = Protocol.UDP;
        c.checkTimeout = Duration.ofMillis(500);
        c.credentials = new CheckCredentials(Optional.of(login), Optional.of(passwd), Optional.empty(),
                Optional.of(secret));
        return new RadiusProbe(c.spec(port)).check();
    }

    @Test
    void theRightUserPasswordAndSecretGetAnAccessAcceptAndAreUp() throws Exception {
        assertThat(check(port, USER, PASSWORD, SECRET)).isEqualTo(ProbeResult.up("negotiate: Access-Accept"));
    }

    @Test
    void aWrongPasswordOrUnknownUserGetsAnAccessRejectWhichIsDownAsInLdirectord() throws Exception {
        ProbeResult reject = ProbeResult.down(
                "negotiate: Access-Reject (ldirectord counts only Access-Accept: check login= and passwd=)");
        assertThat(check(port, USER, "wrong", SECRET)).isEqualTo(reject);
        assertThat(check(port, "nobody", PASSWORD, SECRET)).isEqualTo(reject);
    }

    @Test
    void aWrongSecretIsDownBecauseTheAnswerDoesNotVerify() throws Exception {
        // The server hides and signs with its own secret: the password it reads is garbage, so it rejects, and
        // its Reject's authenticator does not verify with ours, so the check sees no valid answer.
        assertThat(check(port, USER, PASSWORD, "not-the-secret")).isEqualTo(ProbeResult.down("negotiate: RADIUS"
                + " answer does not verify (Invalid response packet authenticator): is secret= the one the server"
                + " has for this client?"));
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        assertThat(check(ServerDaemon.freeUdpPort(), USER, PASSWORD, SECRET))
                .isEqualTo(ProbeResult.down("negotiate: no RADIUS answer within 500 ms"));
    }
}
