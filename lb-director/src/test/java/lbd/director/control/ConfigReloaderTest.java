package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lbd.config.ConfigLoader;
import lbd.director.core.DirectorException;
import lbd.director.metrics.ReloadCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Each reload's outcome: one line with its key-value pairs, and the counters the metrics read. */
@Timeout(20)
class ConfigReloaderTest {

    private static final String VALID = "virtual=198.18.0.1:80\n\treal=198.18.0.2:80 masq\n";

    @TempDir
    Path dir;

    private final Logger logger = (Logger) LoggerFactory.getLogger("lbd");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void capture() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
    }

    private List<Map<String, String>> reloadLines() {
        return appender.list.stream().map(e -> {
            Map<String, String> pairs = new LinkedHashMap<>();
            if (e.getKeyValuePairs() != null) {
                e.getKeyValuePairs().forEach(kv -> pairs.put(kv.key, String.valueOf(kv.value)));
            }
            return pairs;
        }).filter(p -> "reload".equals(p.get("event"))).toList();
    }

    @Test
    void appliedRejectedAndFailedReloadsEachLogOneLineAndCount() throws Exception {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, VALID);
        String sha = ((lbd.config.ConfigResult.Loaded) ConfigLoader.load(file)).config().sha256();
        boolean[] refuse = {false};
        try (ConfigReloader reloader = new ConfigReloader(file, ConfigLoader::load, c -> {
            if (refuse[0]) {
                throw new DirectorException("TCP 198.18.0.1:80: cannot accept connections: address in use");
            }
            return "1 virtual services (0 added, 0 removed)";
        })) {
            assertThat(reloader.counters()).isEqualTo(new ReloadCounters(0, 0, 0, true));

            long before = System.currentTimeMillis();
            assertThat(reloader.reload("lbadm --reload"))
                    .isEqualTo("configuration reloaded from " + file + ": 1 virtual services (0 added, 0 removed)");
            ReloadCounters applied = reloader.counters();
            assertThat(applied.succeeded()).isEqualTo(1);
            assertThat(applied.lastSuccessMillis()).isBetween(before, System.currentTimeMillis());

            Files.writeString(file, "virtual=198.18.0.1:80\n\tchektype=connect\n");
            assertThatThrownBy(() -> reloader.reload("SIGHUP")).isInstanceOf(ControlException.class);
            Files.writeString(file, VALID);
            refuse[0] = true;
            assertThatThrownBy(() -> reloader.reload("autoreload")).isInstanceOf(ControlException.class);

            assertThat(reloader.counters()).isEqualTo(new ReloadCounters(1, 2, applied.lastSuccessMillis(), false));
            assertThat(reloadLines()).containsExactly(
                    Map.of("event", "reload", "outcome", "applied", "trigger", "lbadm --reload", "file", file.toString(),
                            "sha256", sha, "services", "1"),
                    Map.of("event", "reload", "outcome", "rejected", "trigger", "SIGHUP", "file", file.toString(),
                            "sha256", "", "reason", "1 error"),
                    Map.of("event", "reload", "outcome", "failed", "trigger", "autoreload", "file", file.toString(),
                            "sha256", sha, "reason", "TCP 198.18.0.1:80: cannot accept connections: address in use"));
        }
    }
}
