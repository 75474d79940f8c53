package lbd.director.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import lbd.config.ConfigError;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.director.core.Director;
import lbd.director.core.DirectorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code lbd --config FILE}: runs the director in the foreground. SIGHUP re-reads FILE and applies it as a diff
 * (a file that does not load is rejected and the running configuration kept); SIGTERM/SIGINT stop accepting,
 * let connections drain (bounded), then exit.
 */
final class RunCommand {

    private static final Logger log = LoggerFactory.getLogger("lbd");
    static final Duration DRAIN = Duration.ofSeconds(10);

    private RunCommand() {
    }

    static int run(Path file, RunOptions options) throws InterruptedException {
        ClusterConfig config = load(file);
        if (config == null) {
            log.error("{}: configuration rejected; lbd did not start", file);
            return 1;
        }
        Director director;
        try {
            director = startDirector(config, options);
        } catch (DirectorException e) {
            log.error("lbd could not start: {}", e.getMessage());
            return 1;
        }
        log.info("lbd running with {} ({} virtual services); SIGHUP reloads, SIGTERM stops", file,
                config.virtualServices().size());
        Signal.handle(new Signal("HUP"), sig -> reload(director, file));
        return runUntilStopped(director);
    }

    static Director startDirector(ClusterConfig config, RunOptions options) {
        Transport transport = options.transport() != null ? options.transport() : config.globals().transport();
        int loops = options.eventLoops() != null ? options.eventLoops() : config.globals().eventLoops();
        return Director.start(config, transport, loops);
    }

    /** Blocks until SIGTERM/SIGINT, then drains and stops the director. */
    static int runUntilStopped(Director director) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: no new connections; draining open ones for up to {} s", DRAIN.toSeconds());
            director.shutdown(DRAIN);
            log.info("stopped");
            stopped.countDown();
        }, "lbd-shutdown"));
        stopped.await();
        return 0;
    }

    static void reload(Director director, Path file) {
        log.info("reloading {}", file);
        ClusterConfig next = load(file);
        if (next == null) {
            log.error("{}: reload rejected; the running configuration is kept", file);
            return;
        }
        try {
            director.reload(next);
        } catch (DirectorException e) {
            log.error("{}: reload failed: {}; the running configuration is kept", file, e.getMessage());
        }
    }

    /** Loads FILE, logging every error as FILE:LINE: message; null when it does not load. */
    static ClusterConfig load(Path file) {
        return switch (ConfigLoader.load(file)) {
            case ConfigResult.Loaded loaded -> loaded.config();
            case ConfigResult.Invalid invalid -> {
                for (ConfigError e : invalid.errors()) {
                    log.error("{}", e);
                }
                yield null;
            }
        };
    }
}
