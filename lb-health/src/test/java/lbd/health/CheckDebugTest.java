package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** ldirectord's -d prints each check; lbd does at debug level, and writes nothing per check above it. */
class CheckDebugTest {

    @Test
    void eachProbeIsOneLineAtDebugLevelOnly() {
        Logger logger = (Logger) LoggerFactory.getLogger("lbd.health.check");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        Level before = logger.getLevel();
        try {
            TestConfig config = TestConfig.connect();
            CheckSpec spec = config.spec(config.real(8080));
            logger.setLevel(Level.INFO);
            CheckDebug.log(spec, false, "connect: connection refused", Duration.ofMillis(2).toNanos());
            assertThat(appender.list).isEmpty();

            logger.setLevel(Level.DEBUG);
            CheckDebug.log(spec, false, "connect: connection refused", Duration.ofMillis(2).toNanos());
            assertThat(appender.list).singleElement().extracting(ILoggingEvent::getFormattedMessage)
                    .isEqualTo("check 127.0.0.1:8080 [virtual TCP 198.18.0.1:80]: down, connect: connection refused"
                            + " (" + Texts.duration(Duration.ofMillis(2)) + ")");
        } finally {
            logger.setLevel(before);
            logger.detachAppender(appender);
        }
    }
}
