package lbd.director.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.io.PrintStream;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlReply;
import lbd.director.control.ControlServer;
import lbd.director.control.ControlRequest;
import lbd.director.control.LbadmArguments;
import lbd.director.control.RestoreDiff;
import lbd.director.listing.ListingOptions;

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
              lbadm -R < RULES                                      restore: make the table what -S's rules say
              lbadm -A -t|-u VIP:PORT [-s SCHED] [-p [SECS]] [-M MASK] [-b FLAGS]   add a virtual service
              lbadm -E -t|-u VIP:PORT [-s SCHED] [-p [SECS]] [-M MASK] [-b FLAGS]   edit one (all as given)
              lbadm -D -t|-u VIP:PORT                               delete a virtual service
              lbadm -C                                              delete every virtual service
              lbadm -e -t|-u VIP:PORT -r RIP[:PORT] -w WEIGHT      change a weight (0 drains)
              lbadm -a -t|-u VIP:PORT -r RIP[:PORT] [-g|-m|-i] [-w WEIGHT]   add a real server
              lbadm -d -t|-u VIP:PORT -r RIP[:PORT]                 remove a real server
              lbadm -Z [-t|-u VIP:PORT]                             zero the listing's counters (metrics keep theirs)
              lbadm --reload                                        re-read lbd's configuration file
              lbadm -h | -v
            Options:
              --json          any listing as JSON (schema 1, see the README)
              --socket PATH   lbd's control socket (default %s)
            Run-time edits hold until the next reload, as ipvsadm edits held until ldirectord rewrote the table.
            """.formatted(ControlServer.DEFAULT_PATH);

    private LbadmMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs lbadm with {@code args}, writing to {@code out} and {@code err}; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, InputStream.nullInputStream(), out, err);
    }

    /** As above, with {@code in} as the standard input ({@code -R} reads its rules there). */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
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
            case LbadmArguments.Restore restore -> restore(restore, in, err);
        };
    }

    /**
     * -R: the rules on {@code in} against the live table's (-S -n), and only the difference sent, one request at a
     * time; the first refusal stops it (exit 1) with the daemon's message.
     */
    private static int restore(LbadmArguments.Restore restore, InputStream in, PrintStream err) {
        RestoreDiff.Rules wanted;
        try {
            wanted = RestoreDiff.read(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (LbadmArguments.UsageException e) {
            err.println("lbadm: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("lbadm: cannot read the rules: " + e.getMessage());
            err.flush();
            return 1;
        }
        try {
            ControlReply saved = ControlClient.send(restore.socket(),
                    new ControlRequest.ListTable(new ListingOptions(true, false, false, false, false, true),
                            Optional.empty()));
            if (!saved.ok()) {
                err.println("lbadm: " + saved.message());
                err.flush();
                return 1;
            }
            RestoreDiff.Rules current = RestoreDiff.read(saved.body());
            for (ControlRequest request : RestoreDiff.between(current, wanted)) {
                ControlReply reply = ControlClient.send(restore.socket(), request);
                if (!reply.ok()) {
                    err.println("lbadm: " + reply.message());
                    err.flush();
                    return 1;
                }
            }
            return 0;
        } catch (LbadmArguments.UsageException e) {
            err.println("lbadm: lbd's table could not be read as rules: " + e.getMessage());
            err.flush();
            return 1;
        } catch (IOException e) {
            err.println("lbadm: " + e.getMessage());
            err.flush();
            return 1;
        }
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
