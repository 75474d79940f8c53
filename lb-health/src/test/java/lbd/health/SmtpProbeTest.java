package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import lbd.config.model.ServiceType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

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

    @Test
    void onTheSchedulerTheReasonIsWhatTheStatusShowsAndTheLogSays() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("lbd.health");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (HealthMonitor monitor = new HealthMonitor(new RecordingListener()).start()) {
            int dead = ServerDaemon.freePort();
            TestConfig config = TestConfig.negotiate(ServiceType.SMTP);
            monitor.apply(config.cluster(List.of(config.real(port), config.real(dead))));
            await().atMost(Duration.ofSeconds(10)).until(() -> MonitorView.status(monitor, config.key(), dead).checked()
                    && MonitorView.status(monitor, config.key(), port).checked());
            // What lbadm -L shows after "down:" for the dead server, and the live one up.
            assertThat(MonitorView.status(monitor, config.key(), dead).reason())
                    .isEqualTo("negotiate: smtp: connection refused");
            assertThat(MonitorView.status(monitor, config.key(), port).state()).isEqualTo(HealthState.UP);
            await().atMost(Duration.ofSeconds(10)).until(() -> appender.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().startsWith("127.0.0.1:" + dead + " down:")));
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).contains("127.0.0.1:" + dead
                    + " down: negotiate: smtp: connection refused [virtual TCP 198.18.0.1:80]");
        } finally {
            logger.detachAppender(appender);
        }
    }
}
