package lbd.director.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import io.prometheus.metrics.model.registry.MultiCollector;
import lbd.config.ConfigError;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.DaemonStatus;
import lbd.config.model.Transport;
import lbd.director.control.ConfigReloader;
import lbd.director.control.ControlServer;
import lbd.director.control.DirectorOps;
import lbd.director.control.ReloadPhases;
import lbd.director.core.Director;
import lbd.director.core.DirectorException;
import lbd.dataplane.dr.DrStateFile;
import lbd.dataplane.dr.FlowHandOver;
import lbd.director.ha.HaCollector;
import lbd.director.ha.HaConfigException;
import lbd.director.ha.HaLauncher;
import lbd.director.ha.HaNode;
import lbd.director.host.CapabilityCheck;
import lbd.director.logging.LogSetup;
import lbd.director.systemd.SystemdNotify;
import lbd.director.systemd.SystemdService;
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
        return run(file, options, null, null, null, false);
    }

    static int run(Path file, RunOptions options, Path haDir, String haNode) throws InterruptedException {
        return run(file, options, haDir, haNode, null, false);
    }

    /**
     * As {@link #run(Path, RunOptions)}; with {@code haDir}, also as one node of an HA pair (lbd.director.ha). With
     * {@code pidFile}, the pid is written there once lbd serves (the signal that {@code lbd CONFIG start} waits for)
     * and removed when it stops. {@code detached} (the process that {@code start} spawned): everything up to that
     * point is logged on stderr, which {@code start} shows when the start fails; only then does the log move to
     * logfile= (if set).
     */
    static int run(Path file, RunOptions options, Path haDir, String haNode, PidFile pidFile, boolean detached)
            throws InterruptedException {
        ClusterConfig config = load(file);
        if (config == null) {
            log.error("{}: configuration rejected; lbd did not start", file);
            return 1;
        }
        LogSetup logs = null;
        if (!detached) {
            try {
                logs = LogSetup.configure(config.globals().logfile());
            } catch (DirectorException e) {
                log.error("lbd could not start: {}", e.getMessage());
                return 1;
            }
        }
        List<String> missing = CapabilityCheck.missing(config, haDir != null);
        if (!missing.isEmpty()) {
            missing.forEach(problem -> log.error("lbd could not start: {}", problem));
            return 1;
        }
        Director director;
        try {
            // With HA, the DR data plane stays silent (no ARP answers, no gratuitous ARP) until HA says active.
            director = startDirector(config, options, haDir == null);
        } catch (DirectorException e) {
            log.error("lbd could not start: {}", e.getMessage());
            return 1;
        }
        Path drState = drStateFile(file);
        carryOverDrState(director, config, drState);
        HaNode ha = null;
        if (haDir != null) {
            try {
                ha = HaLauncher.start(haDir, haNode, config, director::answerDrArp, director::directRoutingPlane);
            } catch (HaConfigException e) {
                e.problems().forEach(p -> log.error("{}", p));
                log.error("{}: HA configuration rejected; lbd did not start", haDir);
                director.close();
                return 1;
            }
        }
        log.info("lbd running with {} ({} virtual services); SIGHUP reloads, SIGTERM stops", file,
                config.virtualServices().size());
        SystemdService systemd = SystemdService.of(SystemdNotify.fromEnvironment(System.getenv(),
                ProcessHandle.current().pid()), director);
        DirectorOps ops;
        try {
            ops = startOps(director, file, config, options, ha, systemd);
        } catch (DirectorException e) {
            log.error("lbd could not start: {}", e.getMessage());
            if (ha != null) {
                ha.close();
            }
            director.close();
            return 1;
        }
        List<AutoCloseable> first = new ArrayList<>();
        first.add(systemd); // STOPPING=1, and no more watchdog pings while the director drains
        first.add(ops); // no lbadm command or reload while the director drains
        if (ha != null) {
            first.add(ha); // hands the VIPs to the peer before draining
        }
        if (detached) {
            try {
                logs = LogSetup.configure(config.globals().logfile());
            } catch (DirectorException e) {
                log.error("lbd could not start: {}", e.getMessage());
                first.forEach(RunCommand::closeLogged);
                director.close();
                return 1;
            }
        }
        // SIGHUP: reopen the log file first (logrotate renamed it), then reload the configuration as a diff.
        // Handled before READY=1 (which waits for the first verdicts): a SIGHUP meanwhile must not end lbd.
        LogSetup opened = logs;
        Signal.handle(new Signal("HUP"), sig -> {
            opened.reopen();
            ops.reloadLater("SIGHUP");
        });
        systemd.ready(config);
        if (pidFile != null) {
            try {
                pidFile.write(ProcessHandle.current().pid());
            } catch (java.io.IOException e) {
                log.error("lbd could not start: cannot write the pid file {}: {}", pidFile.path(), e.getMessage());
                first.forEach(RunCommand::closeLogged);
                director.close();
                return 1;
            }
        }
        director.daemonStatus(DaemonStatus.RUNNING);
        List<AutoCloseable> last = pidFile == null ? List.of() : List.of(pidFile::remove);
        return runUntilStopped(director, first, last, drState);
    }

    /**
     * Where a stop with cleanstop=no leaves the DR connections for the next start of the same configuration:
     * {@code RUN_DIR/NAME.dr-state}, RUN_DIR being /run/lbd (systemd's RuntimeDirectory=, kept across restarts
     * by RuntimeDirectoryPreserve=restart) or LBD_RUN_DIR.
     */
    static Path drStateFile(Path config) {
        return LdirectordCommand.Paths.from(System.getenv()).runDir().resolve(config.getFileName() + ".dr-state");
    }

    /**
     * At start: with cleanstop=no, the DR connections the previous run saved carry on (the file is then removed:
     * it is taken once); with cleanstop=yes, a file left by an earlier run is removed unread. On stop, cleanstop
     * decides again with the configuration then in force.
     */
    static void carryOverDrState(Director director, ClusterConfig config, Path file) {
        if (!config.globals().cleanStop()) {
            DrStateFile.Restored restored = director.restoreDrState(file);
            restored.warnings().forEach(w -> log.warn("cleanstop=no: {} {}", file, w));
            FlowHandOver.Counts c = restored.counts();
            if (c.flows() + c.templates() + c.left() > 0) {
                log.info("cleanstop=no: {} DR connections and {} persistence templates of the previous run carry on"
                        + " from {}{}", c.flows(), c.templates(), file,
                        c.left() > 0 ? " (" + c.left() + " timed out or no longer configured)" : "");
            }
        }
        try {
            java.nio.file.Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            log.warn("cannot remove {}: {}", file, e.getMessage());
        }
    }

    /** The control socket (lbadm), reloads, rates and metrics of a running director (lbd.director.control). */
    static DirectorOps startOps(Director director, Path file, ClusterConfig config, RunOptions options) {
        return startOps(director, file, config, options, null, ReloadPhases.NONE);
    }

    /**
     * As above; with an HA node, listings carry its state on their first line and metrics count its transitions;
     * {@code phases} hears of every reload (systemd's RELOADING=1 / READY=1).
     */
    static DirectorOps startOps(Director director, Path file, ClusterConfig config, RunOptions options, HaNode ha,
            ReloadPhases phases) {
        Path socket = options.socket() != null ? options.socket()
                : config.globals().controlSocket().orElse(ControlServer.DEFAULT_PATH);
        ConfigReloader reloader = file == null ? null : new ConfigReloader(file, ConfigLoader::load, director::reload, phases);
        String version = "lbd version " + LbdVersion.VERSION;
        Supplier<String> firstLine = ha == null ? () -> version : () -> version + "; " + ha.status().describe();
        List<MultiCollector> extra = ha == null ? List.of() : List.of(new HaCollector(ha::status, ha::syncStats));
        return DirectorOps.start(director, reloader, socket, config.globals().metricsAddress(), firstLine, extra);
    }

    static Director startDirector(ClusterConfig config, RunOptions options) {
        return startDirector(config, options, true);
    }

    static Director startDirector(ClusterConfig config, RunOptions options, boolean drAnswersArp) {
        Transport transport = options.transport() != null ? options.transport() : config.globals().transport();
        int loops = options.eventLoops() != null ? options.eventLoops() : config.globals().eventLoops();
        return Director.start(config, transport, loops, drAnswersArp);
    }

    /**
     * Blocks until SIGTERM/SIGINT, then stops everything in one shutdown hook, in order: {@code first} (the
     * control socket, HA), then the director drains and stops, then {@code last} (the demo's servers). One hook,
     * because the JVM runs separate hooks concurrently and in no order.
     */
    static int runUntilStopped(Director director, List<? extends AutoCloseable> first,
            List<? extends AutoCloseable> last) throws InterruptedException {
        return runUntilStopped(director, first, last, null);
    }

    /** As above; with {@code drState}, a stop under cleanstop=no saves the DR connections there. */
    static int runUntilStopped(Director director, List<? extends AutoCloseable> first,
            List<? extends AutoCloseable> last, Path drState) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            director.daemonStatus(DaemonStatus.STOPPING);
            if (drState != null && !director.config().globals().cleanStop()) {
                createRunDirectory(drState.getParent());
                director.saveDrStateOnStop(drState);
            }
            first.forEach(RunCommand::closeLogged);
            log.info("stopping: no new connections; draining open ones for up to {} s", DRAIN.toSeconds());
            director.shutdown(DRAIN);
            last.forEach(RunCommand::closeLogged);
            log.info("stopped");
            stopped.countDown();
        }, "lbd-shutdown"));
        stopped.await();
        return 0;
    }

    private static void createRunDirectory(Path dir) {
        try {
            if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
                java.nio.file.Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
        } catch (java.io.IOException e) {
            log.error("cleanstop=no: cannot create {}: {}", dir, e.getMessage());
        }
    }

    private static void closeLogged(AutoCloseable part) {
        try {
            part.close();
        } catch (Exception e) {
            log.warn("stopping {}: {}", part.getClass().getSimpleName(), e.toString());
        }
    }

    /** Loads FILE, logging every error (and warning) as FILE:LINE: message; null when it does not load. */
    static ClusterConfig load(Path file) {
        return switch (ConfigLoader.load(file)) {
            case ConfigResult.Loaded loaded -> {
                loaded.warnings().forEach(w -> log.warn("{}", w));
                yield loaded.config();
            }
            case ConfigResult.Invalid invalid -> {
                for (ConfigError e : invalid.errors()) {
                    log.error("{}", e);
                }
                yield null;
            }
        };
    }
}
