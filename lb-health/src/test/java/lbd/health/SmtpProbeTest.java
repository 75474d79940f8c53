package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.ServiceType;

/** service=smtp and service=submission against aiosmtpd (Debian's python3-aiosmtpd), started once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmtpProbeTest {

    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int port;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(PYTHON, "python3");
        ServerDaemon.assumeInstalled("/usr/lib/python3/dist-packages/aiosmtpd/__init__.py", "python3-aiosmtpd");
        port = ServerDaemon.freePort();
        server = ServerDaemon.start("aiosmtpd", dir, List.of(PYTHON, "-m", "aiosmtpd", "-n", "-l",
                "127.0.0.1:" + port), new InetSocketAddress("127.0.0.1", port));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aServerThatGreetsAndAcceptsEhloIsUp() throws Exception {
        for (ServiceType service : List.of(ServiceType.SMTP, ServiceType.SUBMISSION)) {
            ProbeResult result = new SmtpProbe(TestConfig.negotiate(service).spec(port)).check();
            assertThat(result).isEqualTo(ProbeResult.up("negotiate: " + service.configName() + " EHLO accepted"));
        }
    }

    @Test
    void aDeadServerIsDownWithTheReason() throws Exception {
        int dead = ServerDaemon.freePort();
        ProbeResult result = new SmtpProbe(TestConfig.negotiate(ServiceType.SMTP).spec(dead)).check();
        assertThat(result).isEqualTo(ProbeResult.down("negotiate: smtp: connection refused"));
    }

    @Test
    void aServerThatRefusesMailInItsGreetingIsDown() throws Exception {
        try (ScriptedServer refusing = new ScriptedServer("554 no service here\r\n")) {
            ProbeResult result = new SmtpProbe(TestConfig.negotiate(ServiceType.SMTP).spec(refusing.port())).check();
            assertThat(result).isEqualTo(ProbeResult.down("negotiate: smtp greeting refused: \"554 no service here\""));
        }
    }
}
