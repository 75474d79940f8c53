package lbd.director.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlException;
import lbd.director.control.ControlReply;
import lbd.director.control.ControlRequest;
import lbd.director.control.ControlServer;

/**
 * {@code lbd upgrade [--socket PATH] [--drain SECONDS]}: asks the running lbd, over its control socket, to hand over to a new process
 * of the installed lbd (lbd.director.upgrade). Prints both pids and exits 0 once the new one serves; exits 1 with
 * the reason (the old one serving on) when it cannot; 2 for bad usage.
 */
final class UpgradeCommand {

    static final String USAGE = "lbd: usage: lbd upgrade [--socket PATH] [--drain SECONDS]  (the old lbd drains its"
            + " open connections for at most SECONDS, default " + ControlRequest.Upgrade.DEFAULT_DRAIN_SECONDS + ")";

    private UpgradeCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path socket = ControlServer.DEFAULT_PATH;
        String drain = Integer.toString(ControlRequest.Upgrade.DEFAULT_DRAIN_SECONDS);
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (args[i].equals("--socket") && value != null) {
                socket = Path.of(value);
                i++;
            } else if (args[i].startsWith("--socket=")) {
                socket = Path.of(args[i].substring("--socket=".length()));
            } else if (args[i].equals("--drain") && value != null) {
                drain = value;
                i++;
            } else if (args[i].startsWith("--drain=")) {
                drain = args[i].substring("--drain=".length());
            } else {
                err.println(USAGE);
                return 2;
            }
        }
        ControlRequest request;
        try {
            request = ControlRequest.parse("upgrade " + drain);
        } catch (ControlException e) {
            err.println("lbd: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        ControlReply reply;
        try {
            reply = ControlClient.send(socket, request);
        } catch (IOException e) {
            err.println("lbd: " + e.getMessage());
            return 1;
        }
        if (!reply.ok()) {
            err.println("lbd: " + reply.message());
            return 1;
        }
        out.print(reply.body());
        return 0;
    }
}
