package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import lbd.config.model.ServiceType;

/** https checks against a loopback server with a self-signed certificate made by the JDK's keytool. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpsProbeTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    @Test
    void checksOverTlsWithoutVerifyingTheCertificate(@TempDir Path dir) throws Exception {
        SSLContext tls = selfSigned(dir);
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        try (TestHttpServer server = new TestHttpServer(https)) {
            TestConfig config = TestConfig.negotiate(ServiceType.HTTPS);
            config.request = Optional.of("/check");
            config.receive = Optional.of("found");
            config.virtualHost = Optional.of("www.example.org");
            // A first TLS handshake in a fresh JVM took over the default 1 s at load average 30 (2 cores).
            config.negotiateTimeout = java.time.Duration.ofSeconds(15);
            ProbeResult up = new HttpsProbe(config, server).check();
            assertThat(up).isEqualTo(ProbeResult.up("negotiate: HTTP 200"));
            assertThat(server.hosts).containsExactly("www.example.org");

            server.answer(200, "nothing here");
            ProbeResult down = new HttpsProbe(config, server).check();
            assertThat(down.detail()).isEqualTo("negotiate: receive \"found\" not matched (HTTP 200, 12 bytes)");
        }
    }

    @Test
    void plainHttpToATlsPortIsDown(@TempDir Path dir) throws Exception {
        SSLContext tls = selfSigned(dir);
        HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        try (TestHttpServer server = new TestHttpServer(https)) {
            TestConfig config = TestConfig.negotiate(ServiceType.HTTP);
            config.negotiateTimeout = java.time.Duration.ofMillis(500);
            ProbeResult result = new HttpProbe(config.spec(server.port()), false).check();
            assertThat(result.up()).isFalse();
        }
    }

    /** Small adapter so the test reads as "an https probe of that server". */
    private static final class HttpsProbe {
        private final HttpProbe probe;

        HttpsProbe(TestConfig config, TestHttpServer server) {
            this.probe = new HttpProbe(config.spec(server.port()), true);
        }

        ProbeResult check() throws InterruptedException {
            return probe.check();
        }
    }

    private static SSLContext selfSigned(Path dir) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assumeTrue(Files.isExecutable(keytool), "no keytool in this JDK: TLS test skipped");
        Path store = dir.resolve("server.p12");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=www.example.org", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + output);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }
}
