package lbd.director.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import lbd.director.core.DirectorException;
import org.slf4j.LoggerFactory;

/**
 * Where lbd's log goes, set programmatically from {@code logfile=} (logback-classic is the backend):
 * <ul>
 *   <li>{@code logfile="/var/log/lbd.log"}: appended to that file. {@link #reopen()} (SIGHUP) closes and opens it
 *   again, so logrotate's rename-then-HUP works; the file is opened with O_APPEND, so logrotate's copytruncate
 *   works too (after the truncation, the next line lands at the new end instead of leaving a hole).</li>
 *   <li>{@code logfile="local0"} (any syslog facility name): to the local syslog daemon on /dev/log.</li>
 *   <li>no logfile: stderr (the foreground, systemd's journal).</li>
 * </ul>
 * One line per event with a timestamp; a message with line breaks is folded onto one line; stack traces are
 * never printed (operator-facing lines say what happened and what to do).
 */
public final class LogSetup {

    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %replace(%msg){'[\\r\\n]+', ' '}%n%nopex";

    private final LoggerContext context;
    private final Appender<ILoggingEvent> appender;
    private final String description;

    private LogSetup(LoggerContext context, Appender<ILoggingEvent> appender, String description) {
        this.context = context;
        this.appender = appender;
        this.description = description;
    }

    /** Configures logging for {@code logfile} (a path, a syslog facility, or empty for stderr). */
    public static LogSetup configure(Optional<String> logfile) {
        return configure(logfile, SyslogAppender.DEV_LOG);
    }

    static LogSetup configure(Optional<String> logfile, Path syslogSocket) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Appender<ILoggingEvent> appender;
        String description;
        if (logfile.isEmpty() || logfile.get().isBlank()) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.err");
            console.setEncoder(encoder(context));
            appender = console;
            description = "stderr";
        } else if (SyslogFacility.code(logfile.get()).isPresent()) {
            appender = new SyslogAppender(SyslogFacility.code(logfile.get()).get(), syslogSocket);
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
            fileAppender.setEncoder(encoder(context));
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
        root.setLevel(Level.INFO);
        root.addAppender(appender);
        context.getLogger("io.netty").setLevel(Level.WARN);
        return new LogSetup(context, appender, description);
    }

    /** Where the log goes, for the start-up line. */
    public String description() {
        return description;
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

    private static PatternLayoutEncoder encoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }
}
