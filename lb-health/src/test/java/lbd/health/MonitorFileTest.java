package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.CheckType;
import lbd.config.model.ServiceType;

/** monitorfile: one line per check in ldirectord's format; checkcount: the echo requests of one ping check. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorFileTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Perl's scalar localtime, e.g. "Sun Dec  6 02:45:17 2026". */
    private static final String LOCALTIME = "[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}";

    @TempDir
    Path dir;

    private final HealthMonitor monitor = new HealthMonitor(HealthListener.NONE).start();

    @AfterEach
    void stop() {
        monitor.close();
    }

    @Test
    void everyCheckOfAServiceIsALineInLdirectordsFormat() throws Exception {
        Path log = dir.resolve("checks.log");
        try (TestHttpServer good = new TestHttpServer()) {
            int dead = MonitorView.closedPort();
            TestConfig config = TestConfig.negotiate(ServiceType.HTTP);
            config.request = Optional.of("lbcheck.html");
            config.receive = Optional.of("found");
            config.monitorFile = Optional.of(log);
            monitor.apply(config.cluster(List.of(config.real(good.port()), config.real(dead))));

            // Every check writes a line, not only changes: wait for two rounds of both servers.
            await().atMost(WAIT).until(() -> Files.exists(log) && count(log, "[up]") >= 2 && count(log, "[down]") >= 2);
            long pid = ProcessHandle.current().pid();
            assertThat(Files.readAllLines(log)).allSatisfy(line -> assertThat(line).matches(
                    Pattern.quote("[") + LOCALTIME + Pattern.quote("] [" + pid + "] ") + ".*"));
            assertThat(line(log, " " + good.port() + " ")).endsWith("] [" + pid + "] negotiate http tcp 127.0.0.1 "
                    + good.port() + " 1 masq /lbcheck.html found [up] negotiate: HTTP 200");
            assertThat(line(log, " " + dead + " ")).endsWith("] [" + pid + "] negotiate http tcp 127.0.0.1 " + dead
                    + " 1 masq /lbcheck.html found [down] negotiate: connection refused");
        }
    }

    /** The first line of {@code log} that contains {@code text}. */
    private static String line(Path log, String text) throws Exception {
        List<String> lines = Files.readAllLines(log);
        return lines.stream().filter(l -> l.contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with \"" + text + "\" in " + lines));
    }

    private static long count(Path log, String text) throws Exception {
        return Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
    }

    @Test
    void idAndMessageAreWrittenAsLdirectordWritesThem() {
        TestConfig config = TestConfig.connect();
        config.checkPort = Optional.of(8081);
        config.virtualHost = Optional.of("www.example.com");
        config.receive = Optional.of("a:b");
        lbd.config.model.RealServer real = config.real(8080);
        CheckSpec spec = config.spec(real);
        // get_real_id_str joined with ':', each run of ':' one blank (the receive's own ':' too), no backslash.
        assertThat(MonitorLine.id(config.service(List.of(real)), real, spec))
                .isEqualTo("connect tcp 127.0.0.1 8080 www.example.com 8081 1 masq / a b");
        assertThat(MonitorLine.escape("200 OK|100%\r\nnext")).isEqualTo("200 OK%7c100%25%0d%0anext");
        assertThat(MonitorLine.escape("")).isEqualTo("-");
    }

    @Test
    void aPingCheckSendsUpToCheckcountRequestsAndPassesOnTheFirstReply() throws Exception {
        // A stand-in for ping that counts its calls and answers from the third on: the kernel's loopback would
        // answer the first, and no other address may be pinged from a test.
        Path calls = dir.resolve("calls");
        Path ping = dir.resolve("ping");
        Files.writeString(ping, "#!/bin/sh\necho \"$*\" >> " + calls + "\n[ $(wc -l < " + calls + ") -ge 3 ]\n");
        Files.setPosixFilePermissions(ping, PosixFilePermissions.fromString("rwxr-xr-x"));
        TestConfig config = TestConfig.connect();
        config.type = CheckType.PING;
        config.checkCount = 2;
        PingProbe twice = new PingProbe(config.spec(0), Optional.of(ping));
        assertThat(twice.check()).isEqualTo(ProbeResult.down("ping: no echo reply from 127.0.0.1 within 1 s to any"
                + " of 2 requests (checkcount)"));
        assertThat(Files.readAllLines(calls)).hasSize(2).allSatisfy(a -> assertThat(a).endsWith(" 127.0.0.1"));

        config.checkCount = 3;
        assertThat(new PingProbe(config.spec(0), Optional.of(ping)).check()).isEqualTo(ProbeResult.up("ping: echo reply"));
        assertThat(Files.readAllLines(calls)).hasSize(3);
        assertThat(new PingProbe(config.spec(0), Optional.of(ping)).check().up()).as("first reply: one request").isTrue();
        assertThat(Files.readAllLines(calls)).hasSize(4);
    }
}
