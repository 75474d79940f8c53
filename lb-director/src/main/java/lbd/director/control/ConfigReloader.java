package lbd.director.control;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import lbd.director.metrics.ReloadCounters;
import java.util.function.Function;
import lbd.config.ConfigError;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.GlobalSettings;
import lbd.director.core.DirectorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the configuration file and hands a valid one to the director, which applies it as a diff. Every
 * trigger — SIGHUP, {@code lbadm --reload}, the autoreload watch — goes through here and runs on one
 * "lbd-reload" thread, one at a time and in order, so that an older file can never be applied after a newer
 * one. A file that does not load is rejected with each error logged as FILE:LINE, and the running
 * configuration is kept.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final Path file;
    private final Function<Path, ConfigResult> loader;
    private final Function<ClusterConfig, String> apply;
    private final ReloadPhases phases;
    /** The global settings of the last configuration this reloader applied (none before the first reload). */
    private volatile GlobalSettings applied;
    // Reload outcomes for the metrics: written by the reload thread only, read by scrapes.
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile long lastSuccessMillis;
    private volatile boolean lastSuccessful = true;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lbd-reload");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param loader reads and validates a file (ConfigLoader::load)
     * @param apply  applies a valid configuration (Director::reload) and says what changed ("3 virtual services (1
     *               added, 0 removed)"); may throw DirectorException
     */
    public ConfigReloader(Path file, Function<Path, ConfigResult> loader, Function<ClusterConfig, String> apply) {
        this(file, loader, apply, ReloadPhases.NONE);
    }

    /** As above; {@code phases} hears of every reload's start and end (the service manager). */
    public ConfigReloader(Path file, Function<Path, ConfigResult> loader, Function<ClusterConfig, String> apply,
            ReloadPhases phases) {
        this.file = file;
        this.loader = loader;
        this.apply = apply;
        this.phases = phases;
    }

    public Path file() {
        return file;
    }

    /** Any thread: the global settings of the configuration it last applied; empty until a reload applied one. */
    public Optional<GlobalSettings> lastApplied() {
        return Optional.ofNullable(applied);
    }

    /** Any thread: how many reloads were applied and refused, and when the last one was applied. */
    public ReloadCounters counters() {
        return new ReloadCounters(succeeded.get(), failed.get(), lastSuccessMillis, lastSuccessful);
    }

    /** Reloads and waits; returns a one-line summary, or throws {@link ControlException} when rejected. */
    public String reload(String trigger) {
        Future<String> result = thread.submit(() -> reloadNow(trigger));
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ControlException ce) {
                throw ce;
            }
            throw new ControlException("reload failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("interrupted while reloading");
        }
    }

    /** Reloads without waiting (signal handlers, the file watch); the outcome is logged. */
    public void reloadLater(String trigger) {
        thread.execute(() -> {
            try {
                reloadNow(trigger);
            } catch (ControlException e) {
                // already logged
            } catch (RuntimeException e) {
                log.error("{}: reload ({}) failed unexpectedly; the running configuration is kept", file, trigger, e);
            }
        });
    }

    private String reloadNow(String trigger) {
        phases.reloading();
        try {
            return reloadFile(trigger);
        } finally {
            phases.reloaded();
        }
    }

    /**
     * One line per reload's outcome, with the same key-value pairs in every log format: {@code event=reload
     * outcome=applied|rejected|failed trigger= file= sha256=} (and {@code services=} when applied, {@code reason=}
     * when not).
     */
    private String reloadFile(String trigger) {
        log.info("reloading {} ({})", file, trigger);
        ConfigResult result = loader.apply(file);
        return switch (result) {
            case ConfigResult.Invalid invalid -> {
                for (ConfigError error : invalid.errors()) {
                    log.error("{}", error);
                }
                String why = invalid.errors().size() + (invalid.errors().size() == 1 ? " error" : " errors");
                String message = file + ": reload rejected (" + why + ", see the log); the running configuration is kept";
                throw refused(trigger, "rejected", why, "", message, null);
            }
            case ConfigResult.Loaded loaded -> {
                loaded.warnings().forEach(w -> log.warn("{}", w));
                String changed;
                try {
                    changed = apply.apply(loaded.config());
                    applied = loaded.config().globals();
                } catch (DirectorException e) {
                    String message = file + ": reload failed: " + e.getMessage() + "; the running configuration is kept";
                    throw refused(trigger, "failed", e.getMessage(), loaded.config().sha256(), message, null);
                } catch (RuntimeException e) {
                    // A defect, not an operator's mistake: logged with its stack trace, whatever the trigger.
                    String message = file + ": reload failed unexpectedly (" + e + "); the running configuration"
                            + " is kept";
                    throw refused(trigger, "failed", e.toString(), loaded.config().sha256(), message, e);
                }
                succeeded.incrementAndGet();
                lastSuccessMillis = System.currentTimeMillis();
                lastSuccessful = true;
                String summary = "configuration reloaded from " + file + ": " + changed;
                log.atInfo().addKeyValue("event", "reload").addKeyValue("outcome", "applied")
                        .addKeyValue("trigger", trigger).addKeyValue("file", file.toString())
                        .addKeyValue("sha256", loaded.config().sha256())
                        .addKeyValue("services", loaded.config().virtualServices().size())
                        .log(summary + " (" + trigger + ")");
                yield summary;
            }
        };
    }

    private ControlException refused(String trigger, String outcome, String reason, String sha256, String message,
                                     Throwable defect) {
        failed.incrementAndGet();
        lastSuccessful = false;
        log.atError().addKeyValue("event", "reload").addKeyValue("outcome", outcome)
                .addKeyValue("trigger", trigger).addKeyValue("file", file.toString())
                .addKeyValue("sha256", sha256).addKeyValue("reason", reason)
                .setCause(defect).log(message);
        return new ControlException(message);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
