package lbd.director.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import lbd.config.ConfigError;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.ConfigWarning;
import lbd.config.model.ClusterConfig;

/**
 * ldirectord's command line, {@code lbd [-d] [CONFIG] start|stop|restart|try-restart|reload|force-reload|status},
 * with its exit codes and messages (ldirectord's {@code ld_init}), so that heartbeat drives lbd as it drove
 * ldirectord: haresources' {@code ldirectord::ldirectord.cf} runs {@code /etc/ha.d/resource.d/ldirectord
 * ldirectord.cf start|stop|status}, and lbd installed as that script answers.
 *
 * <ul>
 *   <li>CONFIG: {@code /etc/ha.d/CONFIG} if that file exists, else {@code /etc/ha.d/conf/CONFIG}, else CONFIG
 *   itself; without CONFIG, {@code ldirectord.cf}. Its name (the last path element; {@code ldirectord} without
 *   CONFIG) names the pid file {@code /run/lbd/NAME.pid}: one lbd per configuration.</li>
 *   <li>start: nothing to do (0) if one runs; else lbd starts itself again as a detached process in a new
 *   session (a JVM cannot fork) and waits until it serves — its pid file appears — or fails, whose messages it
 *   then prints (1). With {@code -d} or {@code supervised=yes} it runs in the foreground instead.</li>
 *   <li>stop: SIGTERM to the running lbd, then waits until it is gone (ldirectord does not wait; heartbeat takes
 *   the VIP over as soon as stop returns, so lbd does); 0 also when none runs.</li>
 *   <li>restart: stop (if running) and start; try-restart: the same only if one runs, else 0.</li>
 *   <li>reload, force-reload: SIGHUP to the running lbd (0), 1 if none runs.</li>
 *   <li>status: 0 and "... is running with pid: N" (stderr) if one runs; 3 and "... is stopped for CONFIG"
 *   (stdout) if not; 1 with a stale pid file (its process is gone or is not lbd).</li>
 * </ul>
 * A file that does not load stops start, restart, try-restart and (force-)reload with its errors and exit 2,
 * ldirectord's configuration-error status. stop and status do not need a valid file.
 */
final class LdirectordCommand {

    /** Where relative CONFIG names are looked up (then in its conf/), as ldirectord's /etc/ha.d. */
    static final String HA_DIR_ENV = "LBD_HA_DIR";
    /** Where pid files (and a detached lbd's start-up output) go. */
    static final String RUN_DIR_ENV = "LBD_RUN_DIR";
    static final Path DEFAULT_HA_DIR = Path.of("/etc/ha.d");
    static final Path DEFAULT_RUN_DIR = Path.of("/run/lbd");

    static final List<String> ACTIONS = List.of("start", "stop", "restart", "try-restart", "reload", "force-reload",
            "status");

    /** Bound on a start: reading the file, binding every VIP, the first table published. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** Bound on a stop: the drain of open connections ({@link RunCommand#DRAIN}) and some. */
    static final Duration STOP_TIMEOUT = RunCommand.DRAIN.plusSeconds(20);
    private static final Duration POLL = Duration.ofMillis(50);

    /** Where things are: /etc/ha.d and /run/lbd, or what LBD_HA_DIR and LBD_RUN_DIR say (tests, packagers). */
    record Paths(Path haDir, Path runDir) {
        static Paths from(Map<String, String> env) {
            return new Paths(dir(env, HA_DIR_ENV, DEFAULT_HA_DIR), dir(env, RUN_DIR_ENV, DEFAULT_RUN_DIR));
        }

        private static Path dir(Map<String, String> env, String name, Path otherwise) {
            String v = env.get(name);
            return v == null || v.isBlank() ? otherwise : Path.of(v);
        }
    }

    private final Paths paths;
    private final RunOptions options;
    private final PrintWriter out;
    private final PrintWriter err;

    LdirectordCommand(Paths paths, RunOptions options, PrintWriter out, PrintWriter err) {
        this.paths = paths;
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /**
     * @param words   {@code [CONFIG] ACTION}
     * @param debug   {@code -d}: start in the foreground, logging on stderr
     */
    int run(List<String> words, boolean debug) throws InterruptedException {
        if (words.isEmpty() || words.size() > 2 || !ACTIONS.contains(words.getLast())) {
            err.println("usage: lbd [-d] [CONFIG] start|stop|restart|try-restart|reload|force-reload|status"
                    + " (see lbd --help)");
            err.flush();
            return 2;
        }
        String action = words.getLast();
        String configArg = words.size() == 2 ? words.getFirst() : "ldirectord.cf";
        String name = words.size() == 2 ? Path.of(configArg).getFileName().toString() : "ldirectord";
        Path config = resolve(configArg);
        if (config == null) {
            err.println("Config file " + configArg + " not found");
            err.flush();
            return 1;
        }
        PidFile pidFile = new PidFile(paths.runDir().resolve(name + ".pid"));
        try {
            return switch (action) {
                case "status" -> status(config, pidFile);
                case "stop" -> stop(pidFile);
                default -> {
                    ClusterConfig loaded = load(config);
                    if (loaded == null) {
                        yield 2;
                    }
                    yield switch (action) {
                        case "start" -> start(config, name, pidFile, debug || loaded.globals().supervised());
                        case "restart" -> restart(config, name, pidFile, debug || loaded.globals().supervised(), true);
                        case "try-restart" -> restart(config, name, pidFile, debug || loaded.globals().supervised(), false);
                        default -> reload(config, pidFile); // reload, force-reload
                    };
                }
            };
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** ldirectord's look-up: /etc/ha.d/CONFIG, /etc/ha.d/conf/CONFIG, then CONFIG as given; null if none is a file. */
    Path resolve(String configArg) {
        // Joined as strings, as ldirectord does: an absolute CONFIG is never found under /etc/ha.d.
        for (Path candidate : List.of(Path.of(paths.haDir() + "/" + configArg),
                Path.of(paths.haDir() + "/conf/" + configArg), Path.of(configArg))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        return null;
    }

    private ClusterConfig load(Path config) {
        return switch (ConfigLoader.load(config)) {
            case ConfigResult.Loaded loaded -> {
                for (ConfigWarning w : loaded.warnings()) {
                    err.println(w);
                }
                yield loaded.config();
            }
            case ConfigResult.Invalid invalid -> {
                for (ConfigError e : invalid.errors()) {
                    err.println(e);
                }
                err.println(config + ": " + invalid.errors().size() + (invalid.errors().size() == 1 ? " error" : " errors")
                        + "; Configuration Error");
                yield null;
            }
        };
    }

    private int status(Path config, PidFile pidFile) {
        OptionalLong pid = pidFile.running();
        if (pid.isPresent()) {
            err.println("lbd for " + config + " is running with pid: " + pid.getAsLong());
            return 0;
        }
        int status = 3;
        if (pidFile.exists()) {
            err.println("lbd stale pid file " + pidFile.path() + " for " + config);
            status = 1;
        }
        out.println("lbd is stopped for " + config);
        return status;
    }

    private int stop(PidFile pidFile) throws InterruptedException {
        OptionalLong pid = pidFile.running();
        if (pid.isEmpty()) {
            return 0;
        }
        return terminate(pid.getAsLong()) ? 0 : 1;
    }

    /** SIGTERM, then wait (bounded) until the process is gone. */
    private boolean terminate(long pid) throws InterruptedException {
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle == null) {
            return true;
        }
        handle.destroy(); // SIGTERM: lbd's shutdown hook drains, then removes its pid file
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (handle.isAlive()) {
            if (System.nanoTime() - deadline > 0) {
                err.println("lbd (pid " + pid + ") did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
                return false;
            }
            Thread.sleep(POLL);
        }
        return true;
    }

    private int restart(Path config, String name, PidFile pidFile, boolean foreground, boolean evenIfStopped)
            throws InterruptedException {
        OptionalLong pid = pidFile.running();
        if (pid.isEmpty()) {
            return evenIfStopped ? start(config, name, pidFile, foreground) : 0;
        }
        if (!terminate(pid.getAsLong())) {
            return 1;
        }
        return start(config, name, pidFile, foreground);
    }

    private int reload(Path config, PidFile pidFile) {
        OptionalLong pid = pidFile.running();
        if (pid.isEmpty()) {
            err.println("lbd is stopped for " + config);
            return 1;
        }
        try {
            // The shell's kill: Java signals only with TERM and KILL, and /bin/kill is not on every host.
            int status = new ProcessBuilder("/bin/sh", "-c", "kill -HUP " + pid.getAsLong()).inheritIO().start()
                    .waitFor();
            if (status != 0) {
                err.println("cannot signal lbd (pid " + pid.getAsLong() + ")");
                return 1;
            }
        } catch (IOException e) {
            err.println("cannot signal lbd (pid " + pid.getAsLong() + "): " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        return 0;
    }

    private int start(Path config, String name, PidFile pidFile, boolean foreground) throws InterruptedException {
        if (pidFile.running().isPresent()) {
            return 0; // one lbd per configuration; ldirectord exits 0 silently too
        }
        if (foreground) {
            out.flush();
            err.flush();
            return RunCommand.run(config, options, null, null, pidFile, false);
        }
        return startDetached(config, name, pidFile);
    }

    /**
     * Starts lbd again, detached: the same JVM and options, {@code --config CONFIG --pid-file PIDFILE}, in a new
     * session (setsid) with stdin from /dev/null and stdout/stderr to {@code RUN_DIR/NAME.out}; then waits for its
     * pid file (it serves) or its exit (it failed: that file says why).
     */
    private int startDetached(Path config, String name, PidFile pidFile) throws InterruptedException {
        Path output = paths.runDir().resolve(name + ".out");
        Process process;
        try {
            Files.createDirectories(paths.runDir());
            Files.deleteIfExists(pidFile.path()); // stale: the new one's appearance is the signal
            process = new ProcessBuilder(detachedCommand(config, pidFile.path()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.to(output.toFile()))
                    .redirectErrorStream(true)
                    .directory(new File("/"))
                    .start();
        } catch (IOException e) {
            err.println("lbd could not start: " + e.getMessage());
            return 1;
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (pidFile.running().isPresent()) {
                return 0;
            }
            if (!process.isAlive()) {
                err.println("lbd could not start for " + config + ":");
                err.print(tail(output));
                return 1;
            }
            if (System.nanoTime() - deadline > 0) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                err.println("lbd did not start serving " + config + " within " + START_TIMEOUT.toSeconds()
                        + " s; stopped it. Its output:");
                err.print(tail(output));
                return 1;
            }
            Thread.sleep(POLL);
        }
    }

    /** This JVM's java, its options and class path, lbd's main class, then the run options. */
    private List<String> detachedCommand(Path config, Path pidFile) {
        List<String> argv = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            argv.add(setsid.toString()); // its own session: heartbeat's or a terminal's hang-up does not reach it
        }
        argv.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        argv.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(PidFile.MAIN_CLASS);
        argv.add("--config");
        argv.add(config.toString());
        argv.add("--pid-file");
        argv.add(pidFile.toString());
        argv.add("--detached");
        if (options.transport() != null) {
            argv.add("--transport");
            argv.add(options.transport().name());
        }
        if (options.eventLoops() != null) {
            argv.add("--event-loops");
            argv.add(options.eventLoops().toString());
        }
        if (options.socket() != null) {
            argv.add("--socket");
            argv.add(options.socket().toString());
        }
        if (options.warmUp() != null) {
            argv.add("--warmup=" + (options.warmUp() ? "yes" : "no"));
        }
        return argv;
    }

    private static String tail(Path output) {
        try {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            StringBuilder s = new StringBuilder();
            for (String line : lines.subList(Math.max(0, lines.size() - 40), lines.size())) {
                s.append("  ").append(line).append('\n');
            }
            return s.toString();
        } catch (IOException e) {
            return "  (no output: " + e.getMessage() + ")\n";
        }
    }
}
