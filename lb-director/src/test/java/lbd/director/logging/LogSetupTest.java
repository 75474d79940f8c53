package lbd.director.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.director.core.DirectorException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Timeout(20)
class LogSetupTest {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    @TempDir
    Path dir;

    @AfterEach
    void backToStderr() {
        LogSetup.configure(Optional.empty());
    }

    @Test
    void reopenAfterLogrotateRenamedTheFileWritesToTheNewFile() throws Exception {
        Path file = dir.resolve("lbd.log");
        LogSetup setup = LogSetup.configure(Optional.of(file.toString()));
        log.info("before rotation");
        Files.move(file, dir.resolve("lbd.log.1"));
        log.info("still the old file until SIGHUP");

        setup.reopen();
        log.info("after rotation");

        assertThat(Files.readAllLines(dir.resolve("lbd.log.1")))
                .hasSize(2).allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}.* INFO  .*"));
        assertThat(Files.readAllLines(file)).singleElement().asString().endsWith("INFO  after rotation");
    }

    @Test
    void copytruncateLeavesNoHoleBecauseTheFileIsAppended() throws Exception {
        Path file = dir.resolve("lbd.log");
        LogSetup.configure(Optional.of(file.toString()));
        log.info("a line that fills the file before logrotate copies and truncates it");
        Files.write(file, new byte[0], StandardOpenOption.TRUNCATE_EXISTING);

        log.warn("first line after the truncation");

        byte[] content = Files.readAllBytes(file);
        assertThat(new String(content, StandardCharsets.UTF_8)).doesNotContain("\u0000")
                .endsWith("WARN  first line after the truncation\n");
        assertThat(Files.readAllLines(file)).hasSize(1);
    }

    @Test
    void oneLinePerEventEvenForMultiLineMessagesAndExceptions() throws Exception {
        Path file = dir.resolve("lbd.log");
        LogSetup.configure(Optional.of(file.toString()));
        log.error("first\nsecond", new IllegalStateException("boom"));

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).singleElement().asString().endsWith("ERROR first second").doesNotContain("Exception");
    }

    @Test
    void aLogfileInAMissingDirectoryIsAClearError() {
        assertThatThrownBy(() -> LogSetup.configure(Optional.of(dir.resolve("nowhere/lbd.log").toString())))
                .isInstanceOf(DirectorException.class).hasMessageContaining("does not exist");
    }

    @Test
    void aFacilityNameLogsToSyslogInRfc3164Form() {
        LogSetup setup = LogSetup.configure(Optional.of("local0"), dir.resolve("no-syslog-here"));
        assertThat(setup.description()).isEqualTo("syslog facility local0");
        log.info("nobody listens: the event is dropped, lbd goes on");

        SyslogAppender appender = new SyslogAppender(16, dir.resolve("unused"));
        LoggingEvent event = new LoggingEvent("lbd", ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("lbd"),
                Level.WARN, "10.0.0.2:80 down:\nconnect refused", null, null);
        event.setInstant(Instant.parse("2026-01-05T09:03:04Z"));
        // local0 (16) * 8 + warning (4) = 132
        assertThat(appender.format(event)).matches("<132>Jan  5 \\d\\d:03:04 lbd\\[\\d+\\]: 10.0.0.2:80 down: connect refused");
    }

    /** A datagram socket like rsyslog's /dev/log, served by python3: the event arrives, in RFC 3164 form. */
    @Test
    void anEventReachesTheSyslogDaemonsDatagramSocket() throws Exception {
        Path socket = dir.resolve("log");
        Path received = dir.resolve("received");
        Process daemon = new ProcessBuilder("python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)",
                "open(sys.argv[2], 'wb').write(s.recv(4096))"), socket.toString(), received.toString())
                .redirectErrorStream(true).start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket)); // python3 bound it
            LogSetup.configure(Optional.of("local0"), socket);
            log.warn("10.0.0.2:80 down: connect refused");
            assertThat(daemon.waitFor(20, TimeUnit.SECONDS)).as("python3 received a datagram").isTrue();
            assertThat(Files.readString(received, StandardCharsets.UTF_8))
                    .matches("<132>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d lbd\\[\\d+\\]: 10.0.0.2:80 down: connect refused\n?");
        } finally {
            daemon.destroyForcibly();
        }
    }
}
