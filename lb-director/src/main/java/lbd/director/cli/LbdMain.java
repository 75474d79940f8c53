package lbd.director.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import lbd.config.model.Transport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lbd}: checks a configuration, runs the director on one, or runs the built-in demo. */
@Command(name = "lbd",
        mixinStandardHelpOptions = true,
        versionProvider = LbdVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "A user-space layer-4 load balancer that reads ldirectord.cf and replaces IPVS + ldirectord.",
            "",
            "  lbd --check FILE     check a configuration and print the services it defines",
            "  lbd --demo           two web servers behind a round-robin VIP, 127.0.0.1:8080",
            "  lbd --config FILE    run the director in the foreground (SIGTERM stops it)",
            "  lbd -d --config FILE the same, logging at debug level on stderr",
            "  lbd reload           make the running lbd re-read its file (lbadm --reload)",
            "  lbd upgrade [--socket PATH] [--drain SECONDS]",
            "                       a new process of the installed lbd takes over the VIPs'",
            "                       sockets and health verdicts; prints both pids; the old",
            "                       one drains (120 s at most by default) and exits; exit 1,",
            "                       the old one serving on, when it cannot",
            "",
            "As ldirectord, and as heartbeat's /etc/ha.d/resource.d/ldirectord:",
            "  lbd [-d] [CONFIG] start|stop|restart|try-restart|reload|force-reload|status",
            "  CONFIG: /etc/ha.d/CONFIG, else /etc/ha.d/conf/CONFIG, else the path",
            "  (default ldirectord.cf). One lbd per CONFIG: pid file /run/lbd/NAME.pid.",
            "  start detaches (stays in the foreground with -d or supervised=yes).",
            "  status: 0 running, 3 stopped, 1 stale pid file; configuration errors: 2.",
            "  LBD_HA_DIR and LBD_RUN_DIR replace /etc/ha.d and /run/lbd.",
            ""
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success (a valid configuration, or a clean stop)",
            "1:an invalid configuration, or lbd could not start (the message says why)",
            "2:bad command-line usage; with [CONFIG] ACTION, an invalid configuration (as ldirectord)",
            "3:status: lbd is not running for CONFIG"
        })
public final class LbdMain implements Callable<Integer> {

    @Option(names = "--check", paramLabel = "FILE", description = "Check FILE and print a summary; exit 1 with FILE:LINE errors when it is invalid.")
    Path check;

    @Option(names = "--demo", description = "Run the embedded demo (no other set-up needed).")
    boolean demo;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Run the director on FILE (an ldirectord.cf).")
    Path config;

    @Option(names = "--transport", paramLabel = "KIND", description = "NAT transport: ${COMPLETION-CANDIDATES} (default: the transport= directive, else auto).")
    Transport transport;

    @Option(names = "--event-loops", paramLabel = "N", description = "NAT event loops (default: the eventloops= directive, else one per core).")
    Integer eventLoops;

    @Option(names = "--ha", paramLabel = "DIR", description = "With --config: run as one node of an active/backup pair, as heartbeat would with DIR's ha.cf, authkeys and haresources (e.g. /etc/ha.d).")
    Path haDir;

    @Option(names = "--ha-node", paramLabel = "NAME", description = "With --ha: this node's name in ha.cf (default: uname -n).")
    String haNode;

    @Option(names = "--socket", paramLabel = "PATH", description = "The control socket lbadm talks to (default: the controlsocket= directive, else /run/lbd/lbd.sock).")
    Path socket;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "With --demo: the VIP port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int demoPort;

    @Option(names = "--pid-file", paramLabel = "PATH", description = "With --config: write the pid to PATH once serving, remove it on stop.")
    Path pidFile;

    @Option(names = "--detached", hidden = true, description = "Set by start for the process it spawns: log on stderr until serving.")
    boolean detached;

    @Option(names = "--upgrade-from", paramLabel = "SOCKET", hidden = true, description = "Set by lbd upgrade for the"
            + " process it starts: take over from the lbd listening on SOCKET.")
    Path upgradeFrom;

    @Option(names = "--warmup", paramLabel = "yes|no", description = "Before saying it is ready (READY=1, the pid file), drive the NAT connection path over private loopback connections until it is compiled (default: the warmup= directive, else yes).")
    YesNo warmUp;

    @Option(names = {"-d", "--debug"}, description = "As ldirectord's -d: log at debug level on stderr (whatever logfile= and loglevel= say); with an ldirectord action, also stay in the foreground.")
    boolean debug;

    @Parameters(arity = "0..2", paramLabel = "[CONFIG] ACTION", description = "ldirectord's command line (see above).")
    List<String> words = new ArrayList<>();

    /** The command line as given: an upgrade's new process gets it again. */
    private final List<String> arguments;

    /** For tools that make the class themselves (picocli's completion generator). */
    public LbdMain() {
        this(List.of());
    }

    LbdMain(List<String> arguments) {
        this.arguments = List.copyOf(arguments);
    }

    @Override
    public Integer call() throws Exception {
        if (!words.isEmpty()) {
            if (check != null || demo || config != null || haDir != null || pidFile != null) {
                new PrintWriter(System.err, true).println("lbd: [CONFIG] ACTION does not go with --check, --demo,"
                        + " --config, --ha or --pid-file (see lbd --help)");
                return 2;
            }
            return new LdirectordCommand(LdirectordCommand.Paths.from(System.getenv()),
                    new RunOptions(transport, eventLoops, socket, debug, YesNo.of(warmUp)), new PrintWriter(System.out, true),
                    new PrintWriter(System.err, true)).run(words, debug);
        }
        if (debug && config == null) {
            new PrintWriter(System.err, true).println("lbd: -d goes with --config FILE or [CONFIG] ACTION (see lbd --help)");
            return 2;
        }
        int modes = (check != null ? 1 : 0) + (demo ? 1 : 0) + (config != null ? 1 : 0);
        if (modes != 1) {
            PrintWriter err = new PrintWriter(System.err, true);
            err.println("lbd: give exactly one of --check FILE, --demo, --config FILE (see lbd --help)");
            return 2;
        }
        if ((haDir != null || haNode != null) && config == null) {
            new PrintWriter(System.err, true).println("lbd: --ha and --ha-node go with --config FILE (see lbd --help)");
            return 2;
        }
        if (upgradeFrom != null && config == null) {
            new PrintWriter(System.err, true).println("lbd: --upgrade-from goes with --config FILE (lbd upgrade sets it)");
            return 2;
        }
        if ((pidFile != null || detached) && config == null) {
            new PrintWriter(System.err, true).println("lbd: --pid-file goes with --config FILE (see lbd --help)");
            return 2;
        }
        if (check != null) {
            return CheckCommand.run(check, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        }
        RunOptions options = new RunOptions(transport, eventLoops, socket, debug, YesNo.of(warmUp));
        if (demo) {
            return DemoCommand.run(demoPort, options);
        }
        return RunCommand.run(config, options, haDir, haNode, pidFile == null ? null : new PidFile(pidFile), detached,
                upgradeFrom, arguments);
    }

    /** yes or no, as the configuration's directives say it (picocli takes either case). */
    enum YesNo {
        YES, NO;

        static Boolean of(YesNo value) {
            return value == null ? null : value == YES;
        }
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("reload")) {
            // "lbd reload [--socket PATH]": the same as lbadm --reload, for ldirectord's "ldirectord reload" habit.
            String[] lbadm = new String[args.length];
            lbadm[0] = "--reload";
            System.arraycopy(args, 1, lbadm, 1, args.length - 1);
            System.exit(LbadmMain.run(lbadm, System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("upgrade")) {
            System.exit(UpgradeCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        CommandLine cmd = new CommandLine(new LbdMain(List.of(args)));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("lbd: " + ex.getMessage());
            return 1;
        });
        System.exit(cmd.execute(args));
    }
}
