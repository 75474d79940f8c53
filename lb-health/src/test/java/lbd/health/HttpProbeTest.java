package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import lbd.config.model.ServiceType;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class HttpProbeTest {

    private TestHttpServer http;
    private final TestConfig config = TestConfig.negotiate(ServiceType.HTTP);

    @BeforeEach
    void startServer() throws Exception {
        http = new TestHttpServer();
        config.request = Optional.of("lbcheck.html");
        config.receive = Optional.of("found");
    }

    @AfterEach
    void stopServer() {
        http.close();
    }

    private ProbeResult check() throws InterruptedException {
        return new HttpProbe(config.spec(http.port()), false).check();
    }

    @Test
    void sendsLdirectordsRequestAndMatchesReceive() throws Exception {
        ProbeResult result = check();
        assertThat(result).isEqualTo(ProbeResult.up("negotiate: HTTP 200"));
        assertThat(http.requestLines).containsExactly("GET /lbcheck.html HTTP/1.0");
        assertThat(http.hosts).containsExactly("127.0.0.1"); // no virtualhost: the real server's IP
    }

    @Test
    void receiveIsARegularExpressionFoundAnywhereInTheBody() throws Exception {
        config.receive = Optional.of("st[a-z]+us: ?ok");
        http.answer(200, "<html>\nstatus:ok\n</html>");
        assertThat(check().up()).isTrue();
    }

    @Test
    void downWhenReceiveIsNotMatched() throws Exception {
        http.answer(200, "x".repeat(4096));
        ProbeResult result = check();
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).isEqualTo("negotiate: receive \"found\" not matched (HTTP 200, 4 KB)");
    }

    @Test
    void downOnStatus500EvenWhenTheBodyMatches() throws Exception {
        http.answer(500, "found");
        ProbeResult result = check();
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).isEqualTo("negotiate: HTTP 500 Internal Server Error");
    }

    @Test
    void redirectsCountAsAnswers() throws Exception {
        config.receive = Optional.empty();
        http.answer(302, "");
        assertThat(check().up()).isTrue();
    }

    @Test
    void virtualhostIsSentAsHostAndHttpmethodIsUsed() throws Exception {
        config.virtualHost = Optional.of("www.example.org");
        config.httpMethod = "HEAD";
        config.receive = Optional.empty();
        assertThat(check().up()).isTrue();
        assertThat(http.hosts).containsExactly("www.example.org");
        assertThat(http.requestLines).containsExactly("HEAD /lbcheck.html HTTP/1.0");
    }

    @Test
    void perRealServerRequestAndReceiveOverrideTheServices() throws Exception {
        http.answer(200, "alive");
        var real = config.real(http.port());
        real = new lbd.config.model.RealServer(real.key(), real.forwarding(), 1,
                Optional.of("/health"), Optional.of("ali.e"), 1);
        ProbeResult result = new HttpProbe(config.spec(real), false).check();
        assertThat(result.up()).isTrue();
        assertThat(http.requestLines).containsExactly("GET /health HTTP/1.0");
    }

    @Test
    void aServerThatNeverAnswersTimesOutAtNegotiatetimeout() throws Exception {
        config.negotiateTimeout = Duration.ofMillis(300);
        try (HungServer hung = new HungServer()) {
            long start = System.nanoTime();
            ProbeResult result = new HttpProbe(config.spec(hung.port()), false).check();
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(result.up()).isFalse();
            assertThat(result.detail()).isEqualTo("negotiate: timed out after 300 ms");
            assertThat(tookMs).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void checkportIsCheckedInsteadOfTheRealServersPort() throws Exception {
        config.checkPort = Optional.of(http.port());
        ProbeResult result = new HttpProbe(config.spec(9), false).check(); // port 9 is not listening
        assertThat(result.up()).isTrue();
    }

    @Test
    void anInvalidReceiveSaysWhatToFix() throws Exception {
        config.receive = Optional.of("found(");
        ProbeResult result = check();
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("negotiate: receive \"found(\" is not a valid regular expression");
    }
}
