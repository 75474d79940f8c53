package lbd.director.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import lbd.config.model.LogFormat;
import lbd.config.model.LogLevel;
import lbd.director.core.DirectorException;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;

/**
 * Where lbd's log goes, set programmatically from {@code logfile=}, {@code loglevel=} and {@code logformat=}
 * (logback-classic is the backend):
 * <ul>
 *   <li>{@code logfile="/var/log/lbd.log"}: appended to that file. {@link #reopen()} (SIGHUP) closes and opens it
 *   again, so logrotate's rename-then-HUP works; the file is opened with O_APPEND, so logrotate's copytruncate
 *   works too (after the truncation, the next line lands at the new end instead of leaving a hole).</li>
 *   <li>{@code logfile="local0"} (any syslog facility name): to the local syslog daemon on /dev/log.</li>
 *   <li>no logfile: stderr (the foreground, systemd's journal).</li>
 * </ul>
 * One line per event: {@link TextLayout} (a timestamp, the level, the message, then the event's key-value pairs in
 * logfmt), or with logformat=json one JSON object per line written by logstash-logback-encoder, whose fields are
 * the same key-value pairs at the top level (what log shippers index without a parsing rule). Stack traces are
 * never written.
 */
public final class LogSetup {

    private final LoggerContext context;
    private final Appender<ILoggingEvent> appender;
    private final String description;

    private LogSetup(LoggerContext context, Appender<ILoggingEvent> appender, String description) {
        this.context = context;
        this.appender = appender;
        this.description = description;
    }

    /** Text lines at info (the defaults), for {@code logfile} (a path, a syslog facility, or empty for stderr). */
    public static LogSetup configure(Optional<String> logfile) {
        return configure(logfile, LogLevel.INFO, LogFormat.TEXT);
    }

    static LogSetup configure(Optional<String> logfile, Path syslogSocket) {
        return configure(logfile, LogLevel.INFO, LogFormat.TEXT, syslogSocket);
    }

    /** Configures logging for {@code logfile} (a path, a syslog facility, or empty for stderr). */
    public static LogSetup configure(Optional<String> logfile, LogLevel level, LogFormat format) {
        return configure(logfile, level, format, SyslogAppender.DEV_LOG);
    }

    static LogSetup configure(Optional<String> logfile, LogLevel level, LogFormat format, Path syslogSocket) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Appender<ILoggingEvent> appender;
        String description;
        if (logfile.isEmpty() || logfile.get().isBlank()) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.err");
            console.setEncoder(encoder(context, format));
            appender = console;
            description = "stderr";
        } else if (SyslogFacility.code(logfile.get()).isPresent()) {
            appender = new SyslogAppender(SyslogFacility.code(logfile.get()).get(), syslogSocket,
                    syslogBody(context, format));
            description = "syslog facility " + logfile.get();
        } else {
            Path file = Path.of(logfile.get()).toAbsolutePath();
            if (file.getParent() != null && !Files.isDirectory(file.getParent())) {
                throw new DirectorException("logfile=" + logfile.get() + ": the directory " + file.getParent()
                        + " does not exist; create it or choose another logfile");
            }
            FileAppender<ILoggingEvent> fileAppender = new FileAppender<>();
            fileAppender.setFile(file.toString());
            fileAppender.setAppend(true);
            fileAppender.setEncoder(encoder(context, format));
            appender = fileAppender;
            description = file.toString();
        }
        appender.setContext(context);
        appender.setName("lbd");
        context.reset();
        appender.start();
        if (!appender.isStarted()) {
            throw new DirectorException("logfile=" + logfile.orElse("") + ": cannot write there (see the message above)");
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        // Netty's own debug lines are about its internals (allocators, native transports), not about lbd's work.
        context.getLogger("io.netty").setLevel(Level.WARN);
        level(level);
        return new LogSetup(context, appender, description + (format == LogFormat.JSON ? " (json)" : ""));
    }

    /** Where the log goes, for the start-up line. */
    public String description() {
        return description;
    }

    /** Changes the level at once (a reload's loglevel=): the lines of every thread from the next one on. */
    public static void level(LogLevel level) {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(switch (level) {
            case ERROR -> Level.ERROR;
            case WARN -> Level.WARN;
            case INFO -> Level.INFO;
            case DEBUG -> Level.DEBUG;
        });
    }

    /** SIGHUP: closes and reopens the log file (after logrotate renamed it); a no-op for stderr and syslog. */
    public void reopen() {
        if (appender instanceof FileAppender<ILoggingEvent> file) {
            file.stop();
            file.start();
        }
    }

    /** Stops the appender (flushes and closes the file). */
    public void close() {
        context.stop();
    }

    /** A message folded onto one line. */
    static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("[\\r\\n]+", " ");
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext context, LogFormat format) {
        if (format == LogFormat.JSON) {
            return json(context);
        }
        return StderrDefaultConfigurator.utf8(context, new TextLayout());
    }

    /**
     * {@code {"@timestamp":"…","message":"…","logger_name":"lbd","thread_name":"…","level":"WARN","event":"health",…}}
     * and a line break: logstash's field names, each key-value pair of the event a field of its own.
     */
    static LogstashEncoder json(LoggerContext context) {
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        LogstashFieldNames names = new LogstashFieldNames();
        names.setVersion(LogstashFieldNames.IGNORE_FIELD_INDICATOR);
        names.setLevelValue(LogstashFieldNames.IGNORE_FIELD_INDICATOR);
        names.setStackTrace(LogstashFieldNames.IGNORE_FIELD_INDICATOR);
        encoder.setFieldNames(names);
        encoder.start();
        return encoder;
    }

    private static Function<ILoggingEvent, String> syslogBody(LoggerContext context, LogFormat format) {
        if (format == LogFormat.TEXT) {
            return TextLayout::body;
        }
        LogstashEncoder json = json(context);
        return event -> new String(json.encode(event), StandardCharsets.UTF_8).strip();
    }
}
