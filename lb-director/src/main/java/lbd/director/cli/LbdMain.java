package lbd.director.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import lbd.config.model.Transport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
            "  lbd reload           make the running lbd re-read its file (lbadm --reload)",
            ""
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success (a valid configuration, or a clean stop)",
            "1:an invalid configuration, or lbd could not start (the message says why)",
            "2:bad command-line usage"
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

    @Override
    public Integer call() throws Exception {
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
        if (check != null) {
            return CheckCommand.run(check, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        }
        RunOptions options = new RunOptions(transport, eventLoops, socket);
        if (demo) {
            return DemoCommand.run(demoPort, options);
        }
        return RunCommand.run(config, options, haDir, haNode);
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("reload")) {
            // "lbd reload [--socket PATH]": the same as lbadm --reload, for ldirectord's "ldirectord reload" habit.
            String[] lbadm = new String[args.length];
            lbadm[0] = "--reload";
            System.arraycopy(args, 1, lbadm, 1, args.length - 1);
            System.exit(LbadmMain.run(lbadm, System.out, System.err));
        }
        CommandLine cmd = new CommandLine(new LbdMain());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("lbd: " + ex.getMessage());
            return 1;
        });
        System.exit(cmd.execute(args));
    }
}
