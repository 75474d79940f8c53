package lbd.director.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.DaemonStatus;
import lbd.config.model.Endpoint;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.director.TestHttp;
import lbd.health.HealthEvent;
import lbd.health.HealthState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Alert mail as ldirectord sends it, received by a real SMTP server (GreenMail) on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmailAlertsTest {

    private static GreenMail smtp;
    private static int smtpPort;

    @BeforeAll
    static void startSmtp() throws Exception {
        smtpPort = TestHttp.freePort();
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
    }

    @AfterAll
    static void stopSmtp() {
        smtp.stop();
    }

    @BeforeEach
    void emptyMailbox() throws Exception {
        smtp.purgeEmailFromAllMailboxes();
    }

    static ClusterConfig config(String text) {
        ConfigResult r = ConfigLoader.parse("alerts.cf", text);
        assertThat(r).as("%s", r).isInstanceOf(ConfigResult.Loaded.class);
        return ((ConfigResult.Loaded) r).config();
    }

    private String farm(String serviceLines) {
        return """
                emailalert="ops@example.com, oncall@example.com"
                emailalertfrom=lbd@director.example.com
                smtp=127.0.0.1:%d
                virtual=127.0.0.1:8080
                \treal=127.0.0.2:8080 masq 3
                \tchecktype=connect
                """.formatted(smtpPort) + serviceLines;
    }

    private static HealthEvent event(int vport, String real, int rport, HealthState state) {
        VirtualServiceKey service = new VirtualServiceKey(lbd.config.model.Protocol.TCP, Endpoint.of("127.0.0.1", vport));
        return new HealthEvent(new RealServerKey(service, Endpoint.of(real, rport)), state, "connect: refused", false,
                Instant.now());
    }

    /**
     * Waits until the server holds {@code count} mails (one per recipient). Not GreenMail's waitForIncomingEmail,
     * which counts one delivery per message, whatever the number of recipients.
     */
    private static void awaitMail(int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length >= count);
    }

    private static List<String> subjects() throws Exception {
        List<String> s = new java.util.ArrayList<>();
        for (MimeMessage m : smtp.getReceivedMessages()) {
            s.add(m.getSubject());
        }
        return s;
    }

    @Test
    void aServerGoingDownAndBackIsMailedWithLdirectordsSubjectAndBody() throws Exception {
        try (EmailAlerts alerts = new EmailAlerts(config(farm("\tservicename=Web farm\n\tcomment=\"office VIP\"\n")))) {
            alerts.status(DaemonStatus.RUNNING);
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN));
            awaitMail(2);
            MimeMessage mail = smtp.getReceivedMessages()[0];
            assertThat(mail.getSubject())
                    .isEqualTo("[Web farm] Quiescent real server: 127.0.0.2:8080 (127.0.0.1:8080) (Weight set to 0)");
            assertThat(Arrays.stream(mail.getAllRecipients()).map(Object::toString))
                    .containsExactly("ops@example.com", "oncall@example.com");
            assertThat(mail.getFrom()[0].toString()).isEqualTo("lbd@director.example.com");
            String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            // (The end of the body is the mail's end: its last line break is the transfer's, not the text's.)
            assertThat(GreenMailUtil.getBody(mail).replace("\r\n", "\n").strip()).isEqualTo("""
                    ldirectord host: %s
                    Log-Message: [Web farm] Quiescent real server: 127.0.0.2:8080 (127.0.0.1:8080) (Weight set to 0)
                    Daemon-Status: running

                    Service name: Web farm
                    Comment: office VIP
                    """.formatted(host).strip());

            smtp.purgeEmailFromAllMailboxes();
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.UP));
            awaitMail(2);
            assertThat(subjects()).containsOnly(
                    "[Web farm] Restored real server: 127.0.0.2:8080 (127.0.0.1:8080) (Weight set to 3)");
        }
    }

    @Test
    void withQuiescentNoTheServerIsDeletedAndAddedAndTheFallbackIsMailedToo() throws Exception {
        try (EmailAlerts alerts = new EmailAlerts(config(farm("\tquiescent=no\n\tfallback=127.0.0.9:8080 masq\n")))) {
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN));
            alerts.onFallback(new VirtualServiceKey(lbd.config.model.Protocol.TCP, Endpoint.of("127.0.0.1", 8080)), true);
            awaitMail(4);
            assertThat(subjects()).containsExactlyInAnyOrder(
                    "Deleted real server: 127.0.0.2:8080 (127.0.0.1:8080)",
                    "Deleted real server: 127.0.0.2:8080 (127.0.0.1:8080)",
                    "Added fallback server: 127.0.0.9:8080 (127.0.0.1:8080) (Weight set to 1)",
                    "Added fallback server: 127.0.0.9:8080 (127.0.0.1:8080) (Weight set to 1)");
            assertThat(GreenMailUtil.getBody(smtp.getReceivedMessages()[0])).contains("Daemon-Status: starting");
        }
    }

    @Test
    void whileAServerStaysDownItIsMailedAgainEveryEmailalertfreq() throws Exception {
        // A clock the test moves: a resend is due when emailalertfreq has passed since the last mail.
        MovableClock clock = new MovableClock();
        List<String> sent = new CopyOnWriteArrayList<>();
        try (EmailAlerts alerts = new EmailAlerts(config(farm("\temailalertfreq=60\n")), m -> sent.add(m.subject()),
                clock, Duration.ofMillis(20))) {
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN));
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
            clock.advance(Duration.ofSeconds(59));
            clock.advance(Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 2);
            assertThat(sent.get(1)).isEqualTo("Inaccessible real server: 127.0.0.2:8080 (127.0.0.1:8080)");
            clock.advance(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 3);

            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.UP)); // back: no more repeats
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 4);
            clock.advance(Duration.ofSeconds(600));
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.UP)); // a marker after any repeat
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 5);
            assertThat(sent.subList(3, 5)).allMatch(s -> s.startsWith("Restored real server:"));
        }
    }

    @Test
    void emailalertstatusFiltersOnTheDaemonsStatus() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        try (EmailAlerts alerts = new EmailAlerts(config(farm("\temailalertstatus=running\n")),
                m -> sent.add(m.subject() + " / " + m.body().lines().filter(l -> l.startsWith("Daemon-Status")).findFirst().orElse("")),
                Clock.systemUTC(), Duration.ofSeconds(1))) {
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN)); // starting: filtered out
            alerts.status(DaemonStatus.RUNNING);
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.UP));
            await().atMost(Duration.ofSeconds(10)).until(() -> !sent.isEmpty());
            alerts.status(DaemonStatus.STOPPING);
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN)); // filtered out
            alerts.status(DaemonStatus.RUNNING);
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN));
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 2);
            assertThat(sent).containsExactly(
                    "Restored real server: 127.0.0.2:8080 (127.0.0.1:8080) (Weight set to 3) / Daemon-Status: running",
                    "Quiescent real server: 127.0.0.2:8080 (127.0.0.1:8080) (Weight set to 0) / Daemon-Status: running");
        }
    }

    @Test
    void aDeadRelayIsLoggedAndTheNextMailStillGoes() throws Exception {
        Logger lbd = (Logger) LoggerFactory.getLogger("lbd");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        lbd.addAppender(logged);
        int dead = TestHttp.freePort();
        try (EmailAlerts alerts = new EmailAlerts(config(farm("\tsmtp=127.0.0.1:" + dead + "\n"
                + "virtual=127.0.0.1:8081\n\treal=127.0.0.2:8081 masq\n\tchecktype=connect\n")))) {
            alerts.onTransition(event(8080, "127.0.0.2", 8080, HealthState.DOWN)); // to the dead relay
            alerts.onTransition(event(8081, "127.0.0.2", 8081, HealthState.DOWN)); // to the global, live one
            awaitMail(2);
            assertThat(subjects()).allMatch(s -> s.contains("(127.0.0.1:8081)"));
            await().atMost(Duration.ofSeconds(10)).until(() -> logged.list.stream().anyMatch(e ->
                    e.getFormattedMessage().startsWith("emailalert: failed to send \"Quiescent real server: 127.0.0.2:8080"
                            + " (127.0.0.1:8080) (Weight set to 0)\" to ops@example.com, oncall@example.com via 127.0.0.1:"
                            + dead + ": ")));
        } finally {
            lbd.detachAppender(logged);
        }
    }

    /** A clock that moves only when told. */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }
}
