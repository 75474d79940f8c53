package lbd.director.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import io.prometheus.metrics.model.registry.MultiCollector;
import lbd.config.ConfigError;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.DaemonStatus;
import lbd.config.model.GlobalSettings;
import lbd.config.model.LogLevel;
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
import lbd.director.ha.HaHandOver;
import lbd.director.ha.HaLauncher;
import lbd.director.ha.HaNode;
import lbd.director.host.CapabilityCheck;
import lbd.director.logging.LogSetup;
import lbd.director.systemd.SystemdNotify;
import lbd.director.systemd.SystemdService;
import lbd.director.upgrade.DrFlowHandOver;
import lbd.director.upgrade.HandOver;
import lbd.director.upgrade.Release;
import lbd.director.upgrade.TakeOver;
import lbd.director.upgrade.UpgradeCoordinator;
import lbd.director.unix.SeqPacketSocket;
import lbd.director.warmup.SelfWarmUp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
        return run(file, options, haDir, haNode, pidFile, detached, null, List.of());
    }

    /**
     * As above; with {@code upgradeFrom}, this process is the new lbd of an {@code lbd upgrade}: it takes the VIPs'
     * sockets and the health verdicts from the running lbd over that hand-over socket ({@link TakeOver}) and serves
     * in its place; its messages go on stderr (to the old process, which quotes them when the start fails) until it
     * has taken over. {@code arguments}: this process's command line, which the new process of a later upgrade gets.
     */
    static int run(Path file, RunOptions options, Path haDir, String haNode, PidFile pidFile, boolean detached,
            Path upgradeFrom, List<String> arguments) throws InterruptedException {
        ClusterConfig config = load(file);
        if (config == null) {
            log.error("{}: configuration rejected; lbd did not start", file);
            return 1;
        }
        boolean stderrUntilServing = detached || upgradeFrom != null;
        LogSetup logs = null;
        if (!stderrUntilServing) {
            try {
                logs = configureLogs(config, options);
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
        TakeOver takeOver = null;
        HandOver handOver = HandOver.NONE;
        if (upgradeFrom != null) {
            try {
                takeOver = TakeOver.connect(upgradeFrom);
                handOver = takeOver.receive();
            } catch (IOException e) {
                log.error("lbd could not take over from the running lbd ({}): {}", upgradeFrom, e.getMessage());
                if (takeOver != null) {
                    takeOver.close();
                }
                return 1;
            }
        }
        Director director;
        try {
            // With HA, the DR data plane stays silent (no ARP answers, no gratuitous ARP) until HA says active.
            director = startDirector(config, options, haDir == null, handOver);
        } catch (DirectorException | IllegalStateException e) {
            log.error("lbd could not start: {}", e.getMessage());
            if (takeOver != null) {
                takeOver.failed(e.getMessage());
                takeOver.close();
            }
            return 1;
        }
        // The HA node is prepared (its files read, its keys and VIP ownership set up) before it starts, and before
        // an upgrade's new process serves: a node this lbd cannot run leaves the old one as it is, and the hand-over
        // of a running node, later, takes milliseconds.
        HaLauncher.Prepared haPrepared = null;
        if (haDir != null) {
            try {
                haPrepared = HaLauncher.prepare(haDir, haNode, config, director::answerDrArp,
                        director::directRoutingPlane);
            } catch (HaConfigException e) {
                e.problems().forEach(p -> log.error("{}", p));
                log.error("{}: HA configuration rejected; lbd did not start", haDir);
                if (takeOver != null) {
                    takeOver.failed(haDir + ": HA configuration rejected: " + String.join("; ", e.problems()));
                    takeOver.close();
                }
                director.close();
                return 1;
            }
        }
        Path drState = drStateFile(file);
        DrFlowHandOver drFlows = director.drFlowHandOver(drState.resolveSibling(drState.getFileName() + ".upgrade"));
        HaNode ha = null;
        if (takeOver != null) {
            createRunDirectory(drState.getParent());
            try {
                ha = takeOverFrom(takeOver, handOver, drFlows, haPrepared);
            } catch (IllegalArgumentException | HaConfigException e) {
                // Before this process forwards: the old one, seeing it exit, carries the node on itself.
                log.error("lbd could not take over: {}", e.getMessage());
                takeOver.close();
                director.close();
                return 1;
            }
        } else {
            carryOverDrState(director, config, drState);
        }
        if (haPrepared != null && ha == null) {
            try {
                ha = haPrepared.start();
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
                if (takeOver != null) {
                    giveBack(ha); // the old process, seeing this one exit, carries the node on
                }
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
        List<AutoCloseable> last = pidFile == null ? List.of() : List.of(pidFile::remove);
        Stop stop = new Stop(director, first, last, drState);
        ops.upgrader(new UpgradeCoordinator(ops.socket().resolveSibling(ops.socket().getFileName() + ".upgrade"),
                installedLauncher(), arguments, new HandingOver(director, ha, ops, systemd, stop, drFlows,
                drState.getParent())));
        if (stderrUntilServing) {
            try {
                logs = configureLogs(config, options);
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
        if (HangUpSignal.handle(sig -> {
            opened.reopen();
            ops.reloadLater("SIGHUP");
        })) {
            log.info("SIGHUP was ignored when lbd started (nohup?); lbd handles it: SIGHUP reloads");
        }
        warmUp(config, options, systemd, () -> SelfWarmUp.run(director.nat(), config, SelfWarmUp.Bounds.DEFAULT));
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
        if (takeOver != null) {
            try {
                takeOver.ready(); // the old lbd stops accepting now, and answers lbd upgrade
            } catch (IOException e) {
                log.warn("lbd upgrade: could not tell the lbd before that this one is ready: {}", e.getMessage());
            }
            takeOver.close();
        }
        return stop.onSignal();
    }

    /**
     * The new process of an upgrade, once its director serves on the sockets handed over (its DR workers held):
     * tells the old one, waits until it has let go (its control socket, metrics port, systemd's main process, its
     * DR workers, whose connections come with "released"), takes the DR connections over and lets its own DR
     * workers forward, then writes where it wrote; {@link TakeOver#ready} follows once this one has bound the ports
     * and written its pid file.
     */
    private static HaNode takeOverFrom(TakeOver takeOver, HandOver handOver, DrFlowHandOver drFlows,
            HaLauncher.Prepared haPrepared) {
        Release release = Release.of(new byte[0]);
        try {
            takeOver.serving();
            release = takeOver.released();
        } catch (IOException | RuntimeException e) {
            log.warn("lbd upgrade: the lbd before did not say it let go ({}); serving anyway", e.getMessage());
        }
        // The HA node first: its heartbeats paused with the old process's hold, and its peer counts the silence. The
        // DR workers stay held until the restore, so nothing forwards before the connections are here.
        HaNode.HandedOver handedOver = haPrepared == null ? null : haHandedOver(release);
        HaNode ha = handedOver == null ? null : haPrepared.continueFrom(handedOver);
        drFlows.restore(release.drFlows()); // the DR workers forward from here on, with the connections or without
        takeOver.adoptStdio();
        log.info("lbd upgrade: took over {} VIP sockets and {} health verdicts{}; serving",
                handOver.sockets().size(), handOver.verdicts().size(),
                ha == null ? "" : " and the HA node as " + handedOver.state().role().name()
                        .toLowerCase(java.util.Locale.ROOT));
        return ha;
    }

    /**
     * The HA node the old process handed over, or null when it handed none (this process then starts the node
     * afresh). Throws IllegalArgumentException when its state cannot be read: this process must not forward then,
     * and exits; the old one carries the node on.
     */
    private static HaNode.HandedOver haHandedOver(Release release) {
        if (release.haState() == null) {
            return null;
        }
        try {
            return new HaNode.HandedOver(HaHandOver.decode(release.haState()), release.haSocket());
        } catch (IllegalArgumentException e) {
            SeqPacketSocket.closeAll(release.haSocket());
            throw e;
        }
    }

    /** The new process of an upgrade fails before "ready": it stops the HA node without leaving it. */
    private static void giveBack(HaNode ha) {
        try {
            SeqPacketSocket.closeAll(ha.handOver().socketFd());
        } catch (RuntimeException e) {
            log.warn("HA: {}", e.getMessage());
        }
    }

    /**
     * The self warm-up (lbd.director.warmup), unless --warmup=no or warmup=no: run before READY=1, the pid file and
     * an upgrade's "ready", so that lbd says it is ready once its connection path is compiled. The VIPs serve
     * meanwhile, and the health checks' first verdicts come in meanwhile too. One line in the log (a failure: a
     * warning); it never stops lbd from starting.
     */
    static void warmUp(ClusterConfig config, RunOptions options, SystemdService systemd,
            Supplier<SelfWarmUp.Outcome> warmUp) {
        if (!(options.warmUp() != null ? options.warmUp() : config.globals().warmUp())) {
            return;
        }
        systemd.status("warming up the connection path");
        SelfWarmUp.Outcome outcome;
        try {
            outcome = warmUp.get();
        } catch (RuntimeException e) {
            outcome = new SelfWarmUp.Failed(e.toString(), 0, Duration.ZERO);
        }
        switch (outcome) {
            case SelfWarmUp.Done done -> log.info("{}", done.describe());
            case SelfWarmUp.Failed failed -> log.warn("{}", failed.describe());
            case SelfWarmUp.Skipped skipped -> log.debug("{}", skipped.describe());
        }
    }

    /** The installed launcher (bin/lbd of -Dlbd.home, which bin/lbd sets), or null when lbd was not started so. */
    static Path installedLauncher() {
        String home = System.getProperty("lbd.home");
        if (home == null || home.isEmpty()) {
            return null;
        }
        Path launcher = Path.of(home, "bin", "lbd");
        return java.nio.file.Files.isExecutable(launcher) ? launcher : null;
    }

    /** This lbd as lbd upgrade's coordinator needs it (the old process's side). */
    private record HandingOver(Director director, HaNode ha, DirectorOps ops, SystemdService systemd, Stop stop,
            DrFlowHandOver drFlows, Path runDirectory) implements UpgradeCoordinator.OldProcess {

        @Override
        public Optional<String> refusal() {
            return director.handOverRefusal();
        }

        @Override
        public HandOver handOver() {
            return director.handOver();
        }

        @Override
        public void releasePorts() {
            ops.close();
        }

        @Override
        public void handOverMain(long newPid) {
            systemd.handOver(newPid);
        }

        /**
         * In this order: the DR workers stop forwarding (so their connections and the sync's changes are final), the
         * HA node stops without leaving (its sync sends what the workers changed and takes in what the peer sent,
         * which the connections saved next include), then the connections are saved.
         */
        @Override
        public Release release() {
            createRunDirectory(runDirectory);
            drFlows.hold();
            HaNode.HandedOver node = ha == null ? null : ha.handOver();
            byte[] flows = drFlows.save();
            return node == null ? Release.of(flows) : new Release(flows, node.state().encode(), node.socketFd());
        }

        @Override
        public void resume() {
            drFlows.resume();
            if (ha != null) {
                ha.resume();
            }
        }

        @Override
        public void stopAccepting() {
            director.stopAccepting();
        }

        @Override
        public void drainAndExit(long newPid, Duration drain) {
            Thread.ofPlatform().name("lbd-handed-over").start(() -> stop.handedOver(newPid, drain));
        }
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
        ConfigReloader reloader = file == null ? null : new ConfigReloader(file, ConfigLoader::load, next -> {
            String changed = director.reload(next);
            if (!options.debug()) {
                LogSetup.level(next.globals().logLevel()); // at once; -d keeps debug
            }
            return changed;
        }, phases);
        String version = "lbd version " + LbdVersion.VERSION;
        Supplier<String> firstLine = ha == null ? () -> version : () -> version + "; " + ha.status().describe();
        List<MultiCollector> extra = ha == null ? List.of() : List.of(new HaCollector(ha::status, ha::syncStats));
        return DirectorOps.start(director, reloader, socket, config.globals().metricsAddress(), firstLine, extra,
                ha == null ? Optional::empty : () -> Optional.of(ha.status()));
    }

    /**
     * logfile=, loglevel= and logformat=; with -d (ldirectord's), stderr at debug level whatever logfile= and
     * loglevel= say.
     */
    static LogSetup configureLogs(ClusterConfig config, RunOptions options) {
        GlobalSettings g = config.globals();
        return options.debug() ? LogSetup.configure(Optional.empty(), LogLevel.DEBUG, g.logFormat())
                : LogSetup.configure(g.logfile(), g.logLevel(), g.logFormat());
    }

    static Director startDirector(ClusterConfig config, RunOptions options) {
        return startDirector(config, options, true);
    }

    static Director startDirector(ClusterConfig config, RunOptions options, boolean drAnswersArp) {
        return startDirector(config, options, drAnswersArp, HandOver.NONE);
    }

    static Director startDirector(ClusterConfig config, RunOptions options, boolean drAnswersArp, HandOver handOver) {
        Transport transport = options.transport() != null ? options.transport() : config.globals().transport();
        int loops = options.eventLoops() != null ? options.eventLoops() : config.globals().eventLoops();
        return Director.start(config, transport, loops, drAnswersArp, handOver);
    }

    /**
     * Blocks until SIGTERM/SIGINT, then stops everything in one shutdown hook, in order: {@code first} (the
     * control socket, HA), then the director drains and stops, then {@code last} (the demo's servers). One hook,
     * because the JVM runs separate hooks concurrently and in no order.
     */
    static int runUntilStopped(Director director, List<? extends AutoCloseable> first,
            List<? extends AutoCloseable> last) throws InterruptedException {
        return new Stop(director, first, last, null).onSignal();
    }

    /**
     * The one way lbd stops, whoever asks first — SIGTERM/SIGINT (the shutdown hook), or an upgrade once the new
     * process serves: {@code first} (systemd's STOPPING=1, the control socket, HA), then the director stops
     * accepting and drains (bounded: {@link #DRAIN} after a signal, the upgrade's own bound after a hand-over), then
     * {@code last}. It runs once; a later request waits for it to end. With {@code drState}, a stop by signal under
     * cleanstop=no saves the DR connections there for the next start; a hand-over has given them to the new process
     * already.
     */
    static final class Stop {
        private final Director director;
        private final List<? extends AutoCloseable> first;
        private final List<? extends AutoCloseable> last;
        private final Path drState;
        private final java.util.concurrent.atomic.AtomicBoolean begun = new java.util.concurrent.atomic.AtomicBoolean();
        private final CountDownLatch stopped = new CountDownLatch(1);

        Stop(Director director, List<? extends AutoCloseable> first, List<? extends AutoCloseable> last, Path drState) {
            this.director = director;
            this.first = first;
            this.last = last;
            this.drState = drState;
        }

        /** Registers the shutdown hook and blocks until lbd has stopped (by a signal or a hand-over); 0. */
        int onSignal() throws InterruptedException {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> run("stopping", DRAIN, drState), "lbd-shutdown"));
            stopped.await();
            return 0;
        }

        /** After an upgrade's hand-over: the new process serves, and has the DR connections. */
        void handedOver(long newPid, Duration drain) {
            run("handed over to lbd " + newPid, drain, null);
        }

        private void run(String why, Duration drain, Path saveDrStateTo) {
            if (!begun.compareAndSet(false, true)) {
                try {
                    stopped.await(); // the JVM exits once the stop under way is done
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            director.daemonStatus(DaemonStatus.STOPPING);
            if (saveDrStateTo != null && !director.config().globals().cleanStop()) {
                createRunDirectory(saveDrStateTo.getParent());
                director.saveDrStateOnStop(saveDrStateTo);
            }
            first.forEach(RunCommand::closeLogged);
            log.info("{}: no new connections; draining open ones for up to {} s", why, drain.toSeconds());
            director.shutdown(drain);
            last.forEach(RunCommand::closeLogged);
            log.info("stopped");
            stopped.countDown();
        }
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
