package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.director.TestHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A running director mails its real servers' verdicts to the relay of emailalert= / smtp=. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmailAlertLiveTest {

    @TempDir
    Path dir;

    @Test
    void theFirstVerdictsOfARunningDirectorReachTheRelay() throws Exception {
        int smtpPort = TestHttp.freePort();
        GreenMail smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
        try (LiveDirector lbd = LiveDirector.start(dir, false, "\temailalert=ops@example.com\n\tsmtp=127.0.0.1:"
                + smtpPort + "\n\tservicename=web\n")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> smtp.getReceivedMessages().length >= 2);
            List<String> subjects = new ArrayList<>();
            for (MimeMessage m : smtp.getReceivedMessages()) {
                subjects.add(m.getSubject());
            }
            // quiescent=no in LiveDirector's file: a server that comes into service is "Added".
            assertThat(subjects).containsExactlyInAnyOrder(
                    "[web] Added real server: 127.0.0.1:" + lbd.backends.port(0) + " (127.0.0.1:" + lbd.vipPort
                            + ") (Weight set to 1)",
                    "[web] Added real server: 127.0.0.1:" + lbd.backends.port(1) + " (127.0.0.1:" + lbd.vipPort
                            + ") (Weight set to 1)");
        } finally {
            smtp.stop();
        }
    }
}
