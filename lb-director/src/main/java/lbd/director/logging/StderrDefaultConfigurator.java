package lbd.director.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.nio.charset.StandardCharsets;

/**
 * logback's configuration from its first use until {@link LogSetup} replaces it (and for good in the commands that
 * do not run the director): one {@link StderrDefaultLayout} line per event on stderr, {@code io.netty} at WARN, the
 * rest at INFO. Set in code, found by logback through {@code META-INF/services}, instead of a {@code logback.xml}:
 * reading that file loaded logback's XML configurator and the JDK's XML parser, ~600 classes and ~3 MiB of
 * metadata for the lifetime of the process (benchmarks/RESULTS.md, "Memory"). A configuration file given with
 * {@code -Dlogback.configurationFile=} (e.g. in {@code LBD_JAVA_OPTS}) is still read, by logback's own
 * configurator, as it was before.
 */
public final class StderrDefaultConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LayoutWrappingEncoder<ILoggingEvent> encoder = utf8(context, new StderrDefaultLayout());
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        context.getLogger("io.netty").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** {@code layout} started in {@code context}, its lines encoded in UTF-8 (lbd's every text appender). */
    static LayoutWrappingEncoder<ILoggingEvent> utf8(LoggerContext context, LayoutBase<ILoggingEvent> layout) {
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        return encoder;
    }
}
