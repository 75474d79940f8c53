package lbd.director.upgrade;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import lbd.director.control.ControlException;
import lbd.director.control.ControlHandler;
import lbd.director.control.Upgrader;
import lbd.director.unix.SeqPacketSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running lbd's end of {@code lbd upgrade} (the control socket's {@code upgrade} request): starts the installed
 * lbd as a new process ({@link NewProcess}) and hands over to it on a socket of its own
 * ({@link HandOverProtocol}), changing nothing here until the new process serves:
 * <ol>
 *   <li>the new process connects (the kernel's SO_PEERCRED must name it), and gets every VIP's sockets —
 *       bound, listening, with the clients queued in them (SCM_RIGHTS) — and every health verdict;
 *   <li>it starts, accepts on the same sockets (both processes now take clients from the same queues: there is
 *       no moment without a listener, and no socket is closed with clients in its queue), and says "serving";
 *   <li>this process closes its control socket and metrics port, makes the new process systemd's main process
 *       (MAINPID=), hands over the direct-routing flows ({@link DrFlowHandOver}) and an HA node's state and
 *       heartbeat socket ({@link Release}) and says "released"; the new one
 *       binds them, writes its pid file and says "ready"; this one then stops accepting (its copies of the sockets
 *       close; the sockets stay open in the new process), answers the client — whose next lbadm reaches the new
 *       one — and drains its proxied connections (bounded) and exits.
 * </ol>
 * Until "serving", any failure — the launcher missing, the new process exiting (a bad configuration, a binary that
 * does not start), no answer within {@link #START_TIMEOUT} — stops the new process and leaves this one serving as
 * before; the reply says why, with the new process's last lines of output.
 */
public final class UpgradeCoordinator implements Upgrader {

    /** The new process's start (a JVM, the configuration, its health state handed over) and its hand-over. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Logger log = LoggerFactory.getLogger("lbd");

    /** What the coordinator asks of this lbd. */
    public interface OldProcess {

        /** Why this lbd cannot hand over (HA, direct routing, transport=nio...); empty when it can. */
        Optional<String> refusal();

        /** The VIPs' sockets (copies of the descriptors, closed once sent) and the verdicts. */
        HandOver handOver();

        /** Closes the control socket and the metrics port, for the new process to bind. */
        void releasePorts();

        /** Under systemd: the new process becomes the main process (MAINPID=); no more watchdog pings from here. */
        void handOverMain(long newPid);

        /**
         * Stops this process's DR workers forwarding and, for an HA node, its heartbeats and connection sync (no
         * leave: the new process carries the node on), then returns the workers' connections and templates and the
         * node's state and socket (the new process forwards from its restore on, and heartbeats from then on).
         */
        Release release();

        /** After {@link #release}: the new process is gone before it took over; forward and heartbeat again. */
        void resume();

        /** Closes this process's copies of the VIPs' sockets; established connections go on. */
        void stopAccepting();

        /** After the reply: drain the proxied connections for at most {@code drain}, and exit. */
        void drainAndExit(long newPid, Duration drain);
    }

    private final Path handOverSocket;
    private final Path launcher;
    private final List<String> arguments;
    private final OldProcess old;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile long handedTo;

    /**
     * @param handOverSocket where the new process finds this one (next to the control socket)
     * @param launcher       the installed {@code bin/lbd}; null when this lbd was not started by it
     * @param arguments      this lbd's own command-line arguments, given to the new one
     */
    public UpgradeCoordinator(Path handOverSocket, Path launcher, List<String> arguments, OldProcess old) {
        this.handOverSocket = handOverSocket;
        this.launcher = launcher;
        this.arguments = List.copyOf(arguments);
        this.old = old;
    }

    @Override
    public ControlHandler.Upgraded upgrade(Duration drain) {
        if (handedTo != 0) {
            throw new ControlException("this lbd has handed over to lbd " + handedTo + " and is draining");
        }
        if (!busy.compareAndSet(false, true)) {
            throw new ControlException("an upgrade is already under way");
        }
        try {
            Optional<String> refused = old.refusal();
            if (refused.isPresent()) {
                throw new ControlException("lbd upgrade refused: " + refused.get());
            }
            if (launcher == null) {
                throw new ControlException("lbd upgrade refused: this lbd was not started by its launcher (bin/lbd,"
                        + " /usr/sbin/lbd), so there is no installed lbd to start");
            }
            return handOver(drain);
        } finally {
            busy.set(false);
        }
    }

    private ControlHandler.Upgraded handOver(Duration drain) {
        long self = ProcessHandle.current().pid();
        List<String> command = NewProcess.command(launcher, arguments, handOverSocket);
        log.info("lbd upgrade: starting {}", String.join(" ", command));
        NewProcess next;
        try (SeqPacketSocket listener = SeqPacketSocket.listen(handOverSocket)) {
            try {
                next = NewProcess.start(command);
            } catch (IOException e) {
                throw failed("cannot start " + launcher + ": " + e.getMessage());
            }
            try (SeqPacketSocket peer = awaitConnection(listener, next)) {
                return handOver(peer, next, self, drain);
            } catch (ControlException e) {
                stop(next);
                throw e;
            } catch (IOException | RuntimeException e) {
                stop(next);
                throw failed(why(next, e));
            }
        } catch (IOException e) {
            throw failed("cannot open the hand-over socket: " + e.getMessage());
        }
    }

    private ControlHandler.Upgraded handOver(SeqPacketSocket peer, NewProcess next, long self, Duration drain)
            throws IOException {
        String hello = HandOverProtocol.firstLine(peer.receive(START_TIMEOUT).text());
        if (!hello.startsWith(HandOverProtocol.HELLO + " ")) {
            throw new IOException("the new process said '" + hello + "' instead of hello");
        }
        HandOver state = old.handOver();
        try {
            HandOverProtocol.sendHandOver(peer, state, new int[] {1, 2});
        } finally {
            state.sockets().values().forEach(SeqPacketSocket::closeAll); // the new process has its own copies now
        }
        String answer = HandOverProtocol.firstLine(peer.receive(START_TIMEOUT).text());
        if (answer.startsWith(HandOverProtocol.FAILED)) {
            throw failed("the new lbd (pid " + next.pid() + ") could not take over: "
                    + answer.substring(HandOverProtocol.FAILED.length()).strip() + output(next));
        }
        if (!answer.equals(HandOverProtocol.SERVING)) {
            throw new IOException("the new process said '" + answer + "' instead of serving");
        }
        // From here on the new process serves: this one lets go, in the order that never leaves a VIP unserved.
        // Nothing after this point stops the new process: it serves, whatever goes wrong here. And this one accepts
        // until the new one has said it is ready: if it goes away before, this one still serves every VIP.
        handedTo = next.pid();
        try {
            old.releasePorts();
            old.handOverMain(next.pid());
            Release release = old.release();
            try {
                HandOverProtocol.sendRelease(peer, release);
            } finally {
                if (release.haSocket() >= 0) {
                    SeqPacketSocket.closeAll(release.haSocket()); // the new process has its own copy now
                }
            }
            String ready = HandOverProtocol.firstLine(peer.receive(START_TIMEOUT).text());
            if (!ready.equals(HandOverProtocol.READY)) {
                throw new IOException("the new process said '" + ready + "' instead of ready");
            }
        } catch (IOException | RuntimeException e) {
            String reason = why(next, e);
            if (!next.isAlive()) {
                old.resume(); // nobody else forwards direct-routing packets or heartbeats for this node
            }
            String message = "lbd upgrade did not complete: " + reason + "; this lbd (pid " + self + ") goes on"
                    + " accepting on every VIP, but its control socket and metrics port are closed: restart lbd";
            log.error("{}", message);
            throw new ControlException(message);
        }
        old.stopAccepting();
        log.info("lbd upgrade: lbd {} serves every VIP on the sockets handed over; this lbd ({}) stopped accepting"
                + " and drains its open connections", next.pid(), self);
        String summary = "lbd upgrade: old pid " + self + ", new pid " + next.pid() + " (serving); pid " + self
                + " drains its open connections (at most " + drain.toSeconds() + " s) and exits";
        return new ControlHandler.Upgraded(summary, () -> old.drainAndExit(next.pid(), drain));
    }

    /** The new process's connection, or an exception when it exits or does not connect in time. */
    private static SeqPacketSocket awaitConnection(SeqPacketSocket listener, NewProcess next) throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!next.isAlive()) {
                throw new EOFException("exited before it connected");
            }
            if (System.nanoTime() - deadline > 0) {
                throw new java.net.SocketTimeoutException("did not connect within " + START_TIMEOUT.toSeconds() + " s");
            }
            SeqPacketSocket peer;
            try {
                peer = listener.accept(POLL);
            } catch (java.net.SocketTimeoutException notYet) {
                continue;
            }
            long pid = peer.peerPid();
            if (next.isOrDescends(pid)) {
                return peer;
            }
            log.warn("lbd upgrade: process {} connected to the hand-over socket; it is not the new lbd ({}): refused",
                    pid, next.pid());
            peer.close();
        }
    }

    /**
     * Why the hand-over ended early, as the operator needs it: the exit status and the last lines of output (or,
     * while it runs, the failure).
     */
    private static String why(NewProcess next, Exception e) {
        int status = -1;
        try {
            status = next.awaitExit(Duration.ofSeconds(5));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        if (status >= 0) {
            return "the new lbd (pid " + next.pid() + ") exited with status " + status + " before it took over"
                    + output(next);
        }
        return "the new lbd (pid " + next.pid() + ") did not take over: " + e.getMessage() + output(next);
    }

    private static String output(NewProcess next) {
        String lines = next.lastOutput();
        return lines.isEmpty() ? "" : "; its output: " + lines;
    }

    private static void stop(NewProcess next) {
        try {
            if (next.isAlive()) {
                next.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ControlException failed(String why) {
        String message = "lbd upgrade failed: " + why + "; this lbd (pid " + ProcessHandle.current().pid()
                + ") goes on serving";
        log.error("{}", message);
        return new ControlException(message);
    }
}
