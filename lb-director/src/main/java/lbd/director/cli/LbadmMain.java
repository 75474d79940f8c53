package lbd.director.cli;

import java.io.IOException;
import java.io.PrintStream;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlReply;
import lbd.director.control.ControlServer;
import lbd.director.control.LbadmArguments;

/**
 * {@code lbadm}: ipvsadm for lbd. Talks to the running lbd over its control socket; a plain JVM client that
 * starts no logging, no threads and no Netty, so that it starts fast.
 *
 * <p>Exit status as ipvsadm's: 0 success, 1 the request failed (the message says why, e.g. no lbd is running,
 * "No such destination"), 2 bad usage.
 */
public final class LbadmMain {

    static final String USAGE = """
            Usage:
              lbadm -L|-l [-n] [--stats|--rate|--persistent-conn] [--exact] [--nosort] [-t|-u VIP:PORT]
              lbadm -L|-l -c [-n] [--persistent-conn]               the connection table (ipvsadm -Lnc)
              lbadm -L|-l --timeout                                 the connection timeouts (tcp tcpfin udp)
              lbadm --set TCP TCPFIN UDP                            set them, in seconds (0: leave as is)
              lbadm -S [-n] [-t|-u VIP:PORT]                        save the table as ipvsadm rules
              lbadm -e -t|-u VIP:PORT -r RIP[:PORT] -w WEIGHT      change a weight (0 drains)
              lbadm -a -t|-u VIP:PORT -r RIP[:PORT] [-g|-m|-i] [-w WEIGHT]   add a real server
              lbadm -d -t|-u VIP:PORT -r RIP[:PORT]                 remove a real server
              lbadm -E -t|-u VIP:PORT -s SCHEDULER                  change the scheduler (rr wrr lc wlc)
              lbadm -Z [-t|-u VIP:PORT]                             zero the listing's counters (metrics keep theirs)
              lbadm --reload                                        re-read lbd's configuration file
              lbadm -h | -v
            Options:
              --socket PATH   lbd's control socket (default %s)
            Run-time edits hold until the next reload, as ipvsadm edits held until ldirectord rewrote the table.
            """.formatted(ControlServer.DEFAULT_PATH);

    private LbadmMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs lbadm with {@code args}, writing to {@code out} and {@code err}; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        LbadmArguments.Action action;
        try {
            action = LbadmArguments.parse(args);
        } catch (LbadmArguments.UsageException e) {
            err.println("lbadm: " + e.getMessage());
            err.flush();
            return 2;
        }
        return switch (action) {
            case LbadmArguments.Help h -> {
                out.print(USAGE);
                out.flush();
                yield 0;
            }
            case LbadmArguments.Version v -> {
                out.println("lbadm " + LbdVersion.VERSION);
                out.flush();
                yield 0;
            }
            case LbadmArguments.Send send -> send(send, out, err);
        };
    }

    private static int send(LbadmArguments.Send send, PrintStream out, PrintStream err) {
        try {
            ControlReply reply = ControlClient.send(send.socket(), send.request());
            if (!reply.ok()) {
                err.println("lbadm: " + reply.message());
                err.flush();
                return 1;
            }
            out.print(reply.body());
            out.flush();
            return 0;
        } catch (IOException e) {
            err.println("lbadm: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
