package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import lbd.config.model.ServiceType;

/**
 * service=nntp against scripted greetings. ldirectord's check reads only the greeting, so that is all a server has
 * to do here; Debian's NNTP server (inn2) needs a news spool, history database and overview set up before it
 * answers, far more than the seconds a test may take, and no smaller NNTP server in Debian runs standalone.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NntpProbeTest {

    private static ProbeResult check(int port) throws InterruptedException {
        return new NntpProbe(TestConfig.negotiate(ServiceType.NNTP).spec(port)).check();
    }

    @Test
    void aServerThatGreetsWith200Or201IsUp() throws Exception {
        try (ScriptedServer posting = new ScriptedServer("200 news.example.org InterNetNews server ready\r\n");
                ScriptedServer readOnly = new ScriptedServer("201 news.example.org no posting\r\n")) {
            assertThat(check(posting.port())).isEqualTo(ProbeResult.up("negotiate: nntp greeting 200"));
            assertThat(check(readOnly.port())).isEqualTo(ProbeResult.up("negotiate: nntp greeting 201"));
        }
    }

    @Test
    void aServerThatRefusesInItsGreetingIsDownWithTheGreeting() throws Exception {
        try (ScriptedServer refusing = new ScriptedServer("502 You have no permission to talk\r\n")) {
            assertThat(check(refusing.port())).isEqualTo(ProbeResult.down(
                    "negotiate: nntp greeting refused: \"502 You have no permission to talk\""));
        }
    }

    @Test
    void aServerThatNeverGreetsIsDownAfterNegotiateTimeout() throws Exception {
        try (HungServer hung = new HungServer()) {
            TestConfig config = TestConfig.negotiate(ServiceType.NNTP);
            config.negotiateTimeout = Duration.ofMillis(300);
            assertThat(new NntpProbe(config.spec(hung.port())).check())
                    .isEqualTo(ProbeResult.down("negotiate: nntp: timed out after 300 ms"));
        }
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        assertThat(check(ServerDaemon.freePort())).isEqualTo(ProbeResult.down("negotiate: nntp: connection refused"));
    }
}
