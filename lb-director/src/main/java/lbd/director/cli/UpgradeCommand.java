package lbd.director.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlReply;
import lbd.director.control.ControlRequest;
import lbd.director.control.ControlServer;

/**
 * {@code lbd upgrade [--socket PATH]}: asks the running lbd, over its control socket, to hand over to a new process
 * of the installed lbd (lbd.director.upgrade). Prints both pids and exits 0 once the new one serves; exits 1 with
 * the reason (the old one serving on) when it cannot; 2 for bad usage.
 */
final class UpgradeCommand {

    private UpgradeCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path socket = ControlServer.DEFAULT_PATH;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--socket") && i + 1 < args.length) {
                socket = Path.of(args[++i]);
            } else if (args[i].startsWith("--socket=")) {
                socket = Path.of(args[i].substring("--socket=".length()));
            } else {
                err.println("lbd: usage: lbd upgrade [--socket PATH]");
                return 2;
            }
        }
        ControlReply reply;
        try {
            reply = ControlClient.send(socket, new ControlRequest.Upgrade());
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
