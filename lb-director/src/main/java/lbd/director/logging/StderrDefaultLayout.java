package lbd.director.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;

/**
 * The lines lbd writes before {@link LogSetup} has read {@code logfile=}/{@code logformat=}, and all lines of the
 * commands that never read them ({@code lbd --check}, {@code lbadm}): what logback's pattern
 * {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}: %msg%n} writes, e.g.
 * {@code 2026-01-05T09:03:04.123+01:00 WARN  [main] lbd: MESSAGE}, written by hand: a pattern layout would load
 * logback's pattern parser and converters (~80 classes) for one fixed line (benchmarks/RESULTS.md, "Memory").
 */
final class StderrDefaultLayout extends LayoutBase<ILoggingEvent> {

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(128);
        TextLayout.stampAndLevel(event, line);
        String logger = event.getLoggerName();
        line.append(" [").append(event.getThreadName()).append("] ").append(logger.substring(logger.lastIndexOf('.') + 1))
                .append(": ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown)); // as the pattern layout: the stack trace, line by line
        }
        return line.toString();
    }
}
