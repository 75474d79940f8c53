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
 * service=ldap and ldaps against one slapd (Debian's slapd) with an empty dc=example,dc=org database, listening
 * for ldap:// and ldaps:// (a self-signed certificate made here); started once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LdapProbeTest {

    private static final String SLAPD = "/usr/sbin/slapd";
    private static final String ADMIN = "cn=admin,dc=example,dc=org";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int ldapPort;
    private static int ldapsPort;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(SLAPD, "slapd");
        ldapPort = ServerDaemon.freePort();
        ldapsPort = ServerDaemon.freePort();
        ServerDaemon.selfSignedPem(dir, dir.resolve("cert.pem"), dir.resolve("key.pem"));
        Files.createDirectories(dir.resolve("db"));
        Path conf = dir.resolve("slapd.conf");
        Files.writeString(conf, """
                include /etc/ldap/schema/core.schema
                pidfile %1$s/slapd.pid
                modulepath /usr/lib/ldap
                moduleload back_mdb
                TLSCertificateFile %1$s/cert.pem
                TLSCertificateKeyFile %1$s/key.pem
                database mdb
                maxsize 10485760
                suffix "dc=example,dc=org"
                rootdn "%2$s"
                rootpw secret
                directory %1$s/db
                """.formatted(dir, ADMIN));
        server = ServerDaemon.start("slapd", dir, List.of(SLAPD, "-d", "0", "-f", conf.toString(), "-h",
                "ldap://127.0.0.1:" + ldapPort + "/ ldaps://127.0.0.1:" + ldapsPort + "/"),
                new InetSocketAddress("127.0.0.1", ldapPort), new InetSocketAddress("127.0.0.1", ldapsPort));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static TestConfig config(ServiceType service, String request, String receive) {
        TestConfig config = TestConfig.negotiate(service);
        config.request = Optional.ofNullable(request);
        config.receive = Optional.ofNullable(receive);
        config.checkTimeout = Duration.ofSeconds(10);
        config.negotiateTimeout = Duration.ofSeconds(10);
        return config;
    }

    private static ProbeResult ldap(TestConfig config) throws InterruptedException {
        return new LdapProbe(config.spec(ldapPort), false).check();
    }

    private static ProbeResult ldaps(TestConfig config) throws InterruptedException {
        return new LdapProbe(config.spec(ldapsPort), true).check();
    }

    @Test
    void anAnonymousSearchOfTheRootDseIsUp() throws Exception {
        assertThat(ldap(config(ServiceType.LDAP, null, null))).isEqualTo(ProbeResult.up("negotiate: ldap found \"\""));
    }

    @Test
    void theEntryAtRequestMustHaveADnMatchingReceive() throws Exception {
        // ldirectord's parser puts a '/' before every request; the search base is what follows it.
        assertThat(ldap(config(ServiceType.LDAP, "/cn=Subschema", "Subschema")))
                .isEqualTo(ProbeResult.up("negotiate: ldap found \"cn=Subschema\""));
        assertThat(ldap(config(ServiceType.LDAP, "cn=Subschema", "ou=people")))
                .isEqualTo(ProbeResult.down("negotiate: ldap receive \"ou=people\" not matched in DN \"cn=Subschema\""));
    }

    @Test
    void aMissingEntryIsDown() throws Exception {
        ProbeResult result = ldap(config(ServiceType.LDAP, "dc=missing,dc=org", null));
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("negotiate: ldap search of \"dc=missing,dc=org\" failed: no such object (32)");
    }

    @Test
    void aBindWithLoginAndPasswdIsUpWithTheRightPasswordAndDownWithAWrongOne() throws Exception {
        assertThat(ldaps(config(ServiceType.LDAPS, "", null).login(ADMIN, "secret", null)))
                .isEqualTo(ProbeResult.up("negotiate: ldaps found \"\""));
        assertThat(ldap(config(ServiceType.LDAP, "", null).login(ADMIN, "wrong", null))).isEqualTo(ProbeResult.down(
                "negotiate: ldap bind as " + ADMIN + " failed: invalid credentials (49)"));
    }

    @Test
    void ldapsSpeaksTlsWithoutVerifyingTheCertificate() throws Exception {
        assertThat(ldaps(config(ServiceType.LDAPS, "cn=Subschema", "Subschema")))
                .isEqualTo(ProbeResult.up("negotiate: ldaps found \"cn=Subschema\""));
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        int dead = ServerDaemon.freePort();
        assertThat(new LdapProbe(config(ServiceType.LDAP, null, null).spec(dead), false).check())
                .isEqualTo(ProbeResult.down("negotiate: ldap connect failed: connection refused"));
    }
}
