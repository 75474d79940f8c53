package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import lbd.config.model.RealServer;
import lbd.config.model.ServiceType;

/**
 * service=http with checktype=negotiate, each case twice: through {@link HttpProbe#check()} (a blocking socket, as
 * HTTPS and absolute-URL checks run) and through the monitor's {@link SocketCheckLoop} (non-blocking, as every
 * plain HTTP check to its real server runs): the same request, and the same verdict in the same words.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class HttpProbeTest {

    /** Which implementation runs the check. */
    enum Runner {
        BLOCKING, LOOP
    }

    private TestHttpServer http;
    private final TestConfig config = TestConfig.negotiate(ServiceType.HTTP);

    @BeforeEach
    void startServer() throws Exception {
        http = new TestHttpServer();
        config.request = Optional.of("lbcheck.html");
        config.receive = Optional.of("found");
        config.interval = Duration.ofMinutes(1); // the loop's first check comes within a second; no second one
    }

    @AfterEach
    void stopServer() {
        http.close();
    }

    private ProbeResult check(Runner runner) throws InterruptedException {
        return check(runner, config.real(http.port()));
    }

    /** How long the last {@link #check} took: the probe itself, without the loop's wait for its first check. */
    private Duration took;

    /** One check of {@code real}, as its verdict's state and reason. */
    private ProbeResult check(Runner runner, RealServer real) throws InterruptedException {
        if (runner == Runner.BLOCKING) {
            long start = System.nanoTime();
            ProbeResult result = new HttpProbe(config.spec(real), false).check();
            took = Duration.ofNanos(System.nanoTime() - start);
            return result;
        }
        assertThat(new HttpProbe(config.spec(real), false).runsOnLoop()).isTrue();
        LoopCheck.Verdict verdict = LoopCheck.once(config, real);
        took = verdict.took();
        return verdict.result();
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void sendsLdirectordsRequestAndMatchesReceive(Runner runner) throws Exception {
        ProbeResult result = check(runner);
        assertThat(result).isEqualTo(ProbeResult.up("negotiate: HTTP 200"));
        assertThat(http.requestLines).containsExactly("GET /lbcheck.html HTTP/1.0");
        assertThat(http.hosts).containsExactly("127.0.0.1"); // no virtualhost: the real server's IP
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void receiveIsARegularExpressionFoundAnywhereInTheBody(Runner runner) throws Exception {
        config.receive = Optional.of("st[a-z]+us: ?ok");
        http.answer(200, "<html>\nstatus:ok\n</html>");
        assertThat(check(runner).up()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void downWhenReceiveIsNotMatched(Runner runner) throws Exception {
        http.answer(200, "x".repeat(4096));
        ProbeResult result = check(runner);
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).isEqualTo("negotiate: receive \"found\" not matched (HTTP 200, 4 KB)");
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void downOnStatus500EvenWhenTheBodyMatches(Runner runner) throws Exception {
        http.answer(500, "found");
        ProbeResult result = check(runner);
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).isEqualTo("negotiate: HTTP 500 Internal Server Error");
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void redirectsCountAsAnswers(Runner runner) throws Exception {
        config.receive = Optional.empty();
        http.answer(302, "");
        assertThat(check(runner).up()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void virtualhostIsSentAsHostAndHttpmethodIsUsed(Runner runner) throws Exception {
        config.virtualHost = Optional.of("www.example.org");
        config.httpMethod = "HEAD";
        config.receive = Optional.empty();
        assertThat(check(runner).up()).isTrue();
        assertThat(http.hosts).containsExactly("www.example.org");
        assertThat(http.requestLines).containsExactly("HEAD /lbcheck.html HTTP/1.0");
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void perRealServerRequestAndReceiveOverrideTheServices(Runner runner) throws Exception {
        http.answer(200, "alive");
        RealServer real = config.real(http.port());
        real = new RealServer(real.key(), real.forwarding(), 1,
                Optional.of("/health"), Optional.of("ali.e"), 1);
        ProbeResult result = check(runner, real);
        assertThat(result.up()).isTrue();
        assertThat(http.requestLines).containsExactly("GET /health HTTP/1.0");
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void aServerThatNeverAnswersTimesOutAtNegotiatetimeout(Runner runner) throws Exception {
        config.negotiateTimeout = Duration.ofMillis(300);
        try (HungServer hung = new HungServer()) {
            ProbeResult result = check(runner, config.real(hung.port()));
            assertThat(result.up()).isFalse();
            assertThat(result.detail()).isEqualTo("negotiate: timed out after 300 ms");
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void aConnectionMadeInTimeHasTheRestOfNegotiatetimeoutBeyondConnecttimeout(Runner runner) throws Exception {
        config.connectTimeout = Duration.ofMillis(200);
        config.negotiateTimeout = Duration.ofMillis(700);
        try (HungServer hung = new HungServer()) {
            ProbeResult result = check(runner, config.real(hung.port()));
            assertThat(result).isEqualTo(ProbeResult.down("negotiate: timed out after 700 ms"));
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(650));
        }
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void checkportIsCheckedInsteadOfTheRealServersPort(Runner runner) throws Exception {
        config.checkPort = Optional.of(http.port());
        ProbeResult result = check(runner, config.real(9)); // port 9 is not listening
        assertThat(result.up()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void anInvalidReceiveSaysWhatToFix(Runner runner) throws Exception {
        config.receive = Optional.of("found(");
        ProbeResult result = check(runner);
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("negotiate: receive \"found(\" is not a valid regular expression");
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void aRefusedConnectIsDownWithTheReason(Runner runner) throws Exception {
        ProbeResult result = check(runner, config.real(MonitorView.closedPort()));
        assertThat(result).isEqualTo(ProbeResult.down("negotiate: connection refused"));
    }

    @ParameterizedTest
    @EnumSource(Runner.class)
    void aLongBodyIsReadToItsContentLengthAndMatchedAtItsEnd(Runner runner) throws Exception {
        http.answer(200, "y".repeat(100_000) + "found");
        assertThat(check(runner)).isEqualTo(ProbeResult.up("negotiate: HTTP 200"));
    }
}
