package lbd.director.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.Function;
import lbd.director.unix.UnixDatagramSocket;

/**
 * Logs to the local syslog daemon as ldirectord did with {@code logfile="local0"}: one RFC 3164 datagram per
 * event, {@code <PRI>Mmm dd hh:mm:ss lbd[PID]: message}, to /dev/log. (logback's own SyslogAppender only speaks
 * UDP to port 514, which most syslog daemons do not listen on by default.) The message part is the text format's
 * message and key-value pairs, or with logformat=json the JSON object (rsyslog's mmjsonparse, syslog-ng's
 * json-parser read it).
 */
final class SyslogAppender extends AppenderBase<ILoggingEvent> {

    static final Path DEV_LOG = Path.of("/dev/log");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final int facility;
    private final Path socketPath;
    private final String tag;
    private final Function<ILoggingEvent, String> body;
    private UnixDatagramSocket socket;

    SyslogAppender(int facility, Path socketPath) {
        this(facility, socketPath, TextLayout::body);
    }

    /** @param body the message part of an event, on one line */
    SyslogAppender(int facility, Path socketPath, Function<ILoggingEvent, String> body) {
        this.facility = facility;
        this.socketPath = socketPath;
        this.tag = "lbd[" + ProcessHandle.current().pid() + "]";
        this.body = body;
    }

    @Override
    public void start() {
        socket = new UnixDatagramSocket(socketPath.toString());
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        if (socket != null) {
            socket.close();
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        socket.send(format(event).getBytes(StandardCharsets.UTF_8));
    }

    String format(ILoggingEvent event) {
        int priority = facility * 8 + severity(event.getLevel());
        String when = LocalDateTime.ofInstant(event.getInstant(), ZoneId.systemDefault()).format(STAMP);
        return "<" + priority + ">" + when + " " + tag + ": " + body.apply(event);
    }

    static int severity(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> 3;
            case Level.WARN_INT -> 4;
            case Level.INFO_INT -> 6;
            default -> 7;
        };
    }
}
