package lbd.director.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.director.core.Director;
import lbd.director.systemd.NotifySocketListener;
import lbd.director.systemd.SystemdNotify;
import lbd.director.systemd.SystemdService;
import lbd.director.warmup.SelfWarmUp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Whether lbd warms up before READY=1 ({@code --warmup=}, {@code warmup=}), what systemd hears meanwhile, and the
 * one line it logs — also when the warm-up fails, which never keeps lbd from starting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WarmUpOptionTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

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

    @Test
    void runsByDefaultAndTellsSystemdWhileItDoes() throws Exception {
        ClusterConfig config = config("");
        AtomicInteger runs = new AtomicInteger();
        try (NotifySocketListener systemd = new NotifySocketListener(dir.resolve("notify").toString())) {
            RunCommand.warmUp(config, new RunOptions(null, null), service(systemd), () -> {
                runs.incrementAndGet();
                return new SelfWarmUp.Done(10, 10, lbd.dataplane.transport.TransportKind.NIO, Duration.ofMillis(5),
                        "until the JIT was idle");
            });

            assertThat(runs).hasValue(1);
            assertThat(systemd.next(WAIT)).contains("STATUS=warming up the connection path");
            assertThat(lines()).containsExactly("INFO warm-up: 10 private loopback connections (10 requests) through"
                    + " the NAT path (nio) in 0.01 s, until the JIT was idle");
        }
    }

    @Test
    void theFlagAndTheDirectiveTurnItOffAndTheFlagWins() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        try (NotifySocketListener systemd = new NotifySocketListener(dir.resolve("notify").toString())) {
            SystemdService service = service(systemd);
            RunCommand.warmUp(config(""), new RunOptions(null, null, null, false, false), service, () -> {
                runs.incrementAndGet();
                return new SelfWarmUp.Skipped("-");
            });
            RunCommand.warmUp(config("warmup=no\n"), new RunOptions(null, null), service, () -> {
                runs.incrementAndGet();
                return new SelfWarmUp.Skipped("-");
            });
            assertThat(runs).hasValue(0);
            assertThat(systemd.next(Duration.ofMillis(200))).as("nothing said to systemd").isEmpty();
            assertThat(lines()).isEmpty();

            RunCommand.warmUp(config("warmup=no\n"), new RunOptions(null, null, null, false, true), service, () -> {
                runs.incrementAndGet();
                return new SelfWarmUp.Skipped("-");
            });
            assertThat(runs).hasValue(1);
        }
    }

    @Test
    void aWarmUpThatFailsLogsOneWarningAndReturns() throws Exception {
        ClusterConfig config = config("");
        try (NotifySocketListener systemd = new NotifySocketListener(dir.resolve("notify").toString());
             Director director = Director.start(config, Transport.AUTO, 1)) {
            appender.list.clear(); // the director's start
            // 198.18.0.0/15 is no address of this host: the private real server cannot listen there.
            InetAddress absent = InetAddress.getByName("198.18.7.7");
            RunCommand.warmUp(config, new RunOptions(null, null), service(systemd), () -> SelfWarmUp.run(
                    director.nat(), config, SelfWarmUp.Bounds.DEFAULT, absent));
            RunCommand.warmUp(config, new RunOptions(null, null), service(systemd), () -> {
                throw new IllegalStateException("a bug");
            });

            assertThat(lines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("WARN warm-up stopped after 0"
                    + " connections in ").endsWith("; starting without it"));
            assertThat(lines().getFirst()).contains("cannot listen on 198.18.7.7: ");
            assertThat(lines().getLast()).contains("java.lang.IllegalStateException: a bug");
        }
    }

    /** Every line logged at info or above (lbd's loggers, the data plane's among them). */
    private java.util.List<String> lines() {
        return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                .map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }

    private static SystemdService service(NotifySocketListener systemd) {
        return SystemdService.of(SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", systemd.address()), 1), null);
    }

    private ClusterConfig config(String globals) throws Exception {
        Path file = dir.resolve("lbd.cf");
        Files.writeString(file, globals + """
                virtual=127.0.0.1:%d
                \treal=127.0.0.1:9 masq
                \tchecktype=on
                """.formatted(lbd.director.TestHttp.freePort()));
        return ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
    }
}
