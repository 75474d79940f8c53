package lbd.director.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.LogFormat;
import lbd.config.model.LogLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** logformat=text|json and loglevel=: one line per event, the same key-value pairs in both formats. */
@Timeout(20)
class LogFormatsTest {

    private static final Logger log = LoggerFactory.getLogger("lbd");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterEach
    void backToStderr() {
        LogSetup.configure(Optional.empty());
    }

    private static void healthTransition() {
        log.atWarn().addKeyValue("event", "health").addKeyValue("service", "TCP 198.18.0.1:80")
                .addKeyValue("server", "198.18.0.12:80").addKeyValue("state", "down")
                .addKeyValue("reason", "negotiate: receive \"found\" not matched\nsecond line")
                .addKeyValue("maintenance", false)
                .setCause(new IllegalStateException("never printed"))
                .log("198.18.0.12:80 down: negotiate: receive \"found\" not matched [virtual TCP 198.18.0.1:80]");
    }

    @Test
    void textPutsTheKeyValuePairsAfterTheMessageInLogfmtOnOneLine() throws Exception {
        Path file = dir.resolve("lbd.log");
        LogSetup.configure(Optional.of(file.toString()), LogLevel.INFO, LogFormat.TEXT);
        healthTransition();

        assertThat(Files.readAllLines(file)).singleElement().asString()
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* WARN  .*")
                .endsWith("WARN  198.18.0.12:80 down: negotiate: receive \"found\" not matched [virtual TCP 198.18.0.1:80]"
                        + " event=health service=\"TCP 198.18.0.1:80\" server=198.18.0.12:80 state=down"
                        + " reason=\"negotiate: receive \\\"found\\\" not matched second line\" maintenance=false")
                .doesNotContain("Exception");
    }

    @Test
    void jsonWritesOneObjectPerLineWithTheSamePairsAsTopLevelFields() throws Exception {
        Path file = dir.resolve("lbd.json");
        LogSetup setup = LogSetup.configure(Optional.of(file.toString()), LogLevel.INFO, LogFormat.JSON);
        assertThat(setup.description()).endsWith("(json)");
        healthTransition();
        log.info("a line without pairs");

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        JsonNode event = JSON.readTree(lines.getFirst());
        assertThat(event.get("message").asText())
                .isEqualTo("198.18.0.12:80 down: negotiate: receive \"found\" not matched [virtual TCP 198.18.0.1:80]");
        assertThat(event.get("level").asText()).isEqualTo("WARN");
        assertThat(Instant.parse(event.get("@timestamp").asText())).isNotNull();
        assertThat(event.get("event").asText()).isEqualTo("health");
        assertThat(event.get("service").asText()).isEqualTo("TCP 198.18.0.1:80");
        assertThat(event.get("server").asText()).isEqualTo("198.18.0.12:80");
        assertThat(event.get("state").asText()).isEqualTo("down");
        assertThat(event.get("reason").asText()).isEqualTo("negotiate: receive \"found\" not matched\nsecond line");
        assertThat(event.get("maintenance").asBoolean()).isFalse();
        assertThat(event.has("stack_trace")).as("stack traces are never written").isFalse();
        assertThat(event.has("@version")).isFalse();
        assertThat(JSON.readTree(lines.get(1)).get("message").asText()).isEqualTo("a line without pairs");
    }

    @Test
    void bothFormatsCarryTheSamePairs() throws Exception {
        Path text = dir.resolve("text.log");
        LogSetup.configure(Optional.of(text.toString()), LogLevel.INFO, LogFormat.TEXT);
        healthTransition();
        Path json = dir.resolve("json.log");
        LogSetup.configure(Optional.of(json.toString()), LogLevel.INFO, LogFormat.JSON);
        healthTransition();

        JsonNode fields = JSON.readTree(Files.readString(json));
        String line = Files.readString(text);
        for (String key : List.of("event", "service", "server", "state", "reason", "maintenance")) {
            StringBuilder logfmt = new StringBuilder(" " + key + "=");
            TextLayout.logfmtValue(fields.get(key).asText(), logfmt);
            assertThat(line).contains(logfmt.toString());
        }
    }

    @Test
    void logLevelFiltersAndChangesAtOnce() throws Exception {
        Path file = dir.resolve("lbd.log");
        LogSetup.configure(Optional.of(file.toString()), LogLevel.WARN, LogFormat.TEXT);
        log.info("not at warn");
        log.warn("at warn");
        LogSetup.level(LogLevel.DEBUG);
        log.debug("at debug");
        LogSetup.level(LogLevel.ERROR);
        log.warn("not at error");

        assertThat(Files.readAllLines(file)).hasSize(2)
                .satisfiesExactly(l -> assertThat(l).endsWith("WARN  at warn"), l -> assertThat(l).endsWith("DEBUG at debug"));
    }

    @Test
    void syslogGetsTheSameBodyInEitherFormat() throws Exception {
        LoggingEvent event = new LoggingEvent("lbd", ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("lbd"),
                Level.INFO, "reloaded", null, null);
        event.setInstant(Instant.parse("2026-01-05T09:03:04Z"));
        event.addKeyValuePair(new org.slf4j.event.KeyValuePair("event", "reload"));
        event.addKeyValuePair(new org.slf4j.event.KeyValuePair("outcome", "applied"));

        assertThat(new SyslogAppender(16, dir.resolve("unused")).format(event))
                .endsWith("]: reloaded event=reload outcome=applied");
        LogstashBody json = new LogstashBody();
        String body = new SyslogAppender(16, dir.resolve("unused"), json::body).format(event);
        JsonNode fields = JSON.readTree(body.substring(body.indexOf("]: ") + 3));
        assertThat(Map.of("message", fields.get("message").asText(), "event", fields.get("event").asText(),
                "outcome", fields.get("outcome").asText()))
                .isEqualTo(Map.of("message", "reloaded", "event", "reload", "outcome", "applied"));
    }

    /** What LogSetup gives the syslog appender with logformat=json. */
    private static final class LogstashBody {
        private final net.logstash.logback.encoder.LogstashEncoder encoder =
                LogSetup.json((LoggerContext) LoggerFactory.getILoggerFactory());

        String body(ch.qos.logback.classic.spi.ILoggingEvent event) {
            return new String(encoder.encode(event), java.nio.charset.StandardCharsets.UTF_8).strip();
        }
    }
}
