package lbd.director.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * logback's configuration before LogSetup (and in lbd --check, lbadm), set in code instead of a logback.xml: the same
 * lines the XML file's pattern layout wrote, the same levels, found by logback on its own, and a configuration file
 * given with -Dlogback.configurationFile still read.
 */
@Timeout(20)
class StderrDefaultConfiguratorTest {

    /** What the logback.xml this replaces wrote. */
    private static final String XML_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}: %msg%n";

    private static String byPattern(LoggerContext context, ILoggingEvent event) {
        PatternLayout pattern = new PatternLayout();
        pattern.setContext(context);
        pattern.setPattern(XML_PATTERN);
        pattern.start();
        return pattern.doLayout(event);
    }

    private static String byHand(LoggerContext context, ILoggingEvent event) {
        StderrDefaultLayout layout = new StderrDefaultLayout();
        layout.setContext(context);
        layout.start();
        return layout.doLayout(event);
    }

    private static LoggingEvent event(LoggerContext context, String logger, Level level, String message,
            Throwable thrown, Object... arguments) {
        LoggingEvent event = new LoggingEvent(Logger.class.getName(), context.getLogger(logger), level, message,
                thrown, arguments);
        event.setThreadName("nat-loop-1");
        return event;
    }

    @Test
    void writesWhatTheXmlPatternWrote() {
        LoggerContext context = new LoggerContext();
        for (Level level : new Level[] {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG, Level.TRACE}) {
            for (String logger : new String[] {"lbd", "lbd.director.cli.RunCommand", "io.netty.channel.Foo"}) {
                LoggingEvent event = event(context, logger, level, "{}: cannot listen on {}", null,
                        "/etc/lbd/ldirectord.cf:7", "TCP 198.18.0.1:80");
                assertThat(byHand(context, event)).isEqualTo(byPattern(context, event));
            }
        }
        LoggingEvent event = event(context, "lbd", Level.INFO, "lbd running", null);
        assertThat(byHand(context, event)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)"
                + " INFO  \\[nat-loop-1] lbd: lbd running\\R");
    }

    @Test
    void writesAStackTraceAfterTheLineAsThePatternDid() {
        LoggerContext context = new LoggerContext();
        IllegalStateException thrown = new IllegalStateException("broken", new java.io.IOException("cause"));
        LoggingEvent event = event(context, "lbd.director.core.ControlConductor", Level.ERROR, "control plane: {} failed",
                thrown, "reload");

        String line = byHand(context, event);
        assertThat(line).isEqualTo(byPattern(context, event)).contains("IllegalStateException: broken")
                .contains("Caused by: java.io.IOException: cause");
    }

    @Test
    void logsToStderrAtInfoWithNettyAtWarnAndStopsLogbackThere() {
        LoggerContext context = new LoggerContext();
        StderrDefaultConfigurator configurator = new StderrDefaultConfigurator();
        configurator.setContext(context);

        assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("io.netty.channel").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("lbd.director").getEffectiveLevel()).isEqualTo(Level.INFO);
        ConsoleAppender<ILoggingEvent> stderr = (ConsoleAppender<ILoggingEvent>) root.getAppender("STDERR");
        assertThat(stderr.isStarted()).isTrue();
        assertThat(stderr.getTarget()).isEqualTo("System.err");
        assertThat(((LayoutWrappingEncoder<ILoggingEvent>) stderr.getEncoder()).getLayout())
                .isInstanceOf(StderrDefaultLayout.class);
    }

    @Test
    void leavesAConfigurationFileGivenOnTheCommandLineToLogback() {
        LoggerContext context = new LoggerContext();
        StderrDefaultConfigurator configurator = new StderrDefaultConfigurator();
        configurator.setContext(context);
        String before = System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY);
        System.setProperty(ContextInitializer.CONFIG_FILE_PROPERTY, "/etc/lbd/logback.xml");
        try {
            assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();
        } finally {
            if (before == null) {
                System.clearProperty(ContextInitializer.CONFIG_FILE_PROPERTY);
            } else {
                System.setProperty(ContextInitializer.CONFIG_FILE_PROPERTY, before);
            }
        }
    }

    @Test
    void isTheConfiguratorLogbackFindsAndNoXmlFileIsLeft() {
        assertThat(ServiceLoader.load(Configurator.class)).singleElement().isInstanceOf(StderrDefaultConfigurator.class);
        assertThat(getClass().getClassLoader().getResource("logback.xml")).isNull();
    }
}
