package lbd.health;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At debug level only ({@code lbd -d}, {@code loglevel=debug}), one line per probe, as ldirectord's {@code -d}
 * prints each check: {@code check 198.18.0.12:80 [virtual TCP 198.18.0.1:80]: down, negotiate: connection
 * refused (1.2 ms)}. At the usual levels it costs one level test per probe and writes nothing.
 */
final class CheckDebug {

    private static final Logger LOG = LoggerFactory.getLogger("lbd.health.check");

    private CheckDebug() {
    }

    static void log(CheckSpec spec, boolean up, String detail, long tookNanos) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("check {} [virtual {}]: {}, {} ({})", spec.server().address(), spec.server().service(),
                    up ? "up" : "down", detail, Texts.duration(Duration.ofNanos(tookNanos)));
        }
    }
}
