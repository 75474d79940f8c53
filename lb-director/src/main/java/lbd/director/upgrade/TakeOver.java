package lbd.director.upgrade;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import lbd.sys.LinuxNative;
import lbd.director.unix.SeqPacketSocket;

/**
 * The new process's end of {@code lbd upgrade} ({@code lbd --config FILE --upgrade-from PATH}, started by the old
 * one): connects to the hand-over socket the old process listens on, receives the VIPs' sockets and the verdicts
 * ({@link #receive}), says when it serves ({@link #serving}), and waits until the old one has let go
 * ({@link #released}): then it binds the control socket and metrics port, is systemd's main process, and says so
 * ({@link #ready}).
 */
public final class TakeOver implements AutoCloseable {

    /** How long each step may wait for the old process (it answers at once unless it is wedged). */
    static final Duration WAIT = Duration.ofSeconds(30);

    private final SeqPacketSocket peer;
    private int[] stdio = new int[0];

    private TakeOver(SeqPacketSocket peer) {
        this.peer = peer;
    }

    /** Connects and says hello with this process's pid. */
    public static TakeOver connect(Path handOverSocket) throws IOException {
        SeqPacketSocket peer = SeqPacketSocket.connect(handOverSocket);
        try {
            peer.send(HandOverProtocol.HELLO + " " + ProcessHandle.current().pid());
            return new TakeOver(peer);
        } catch (IOException | RuntimeException e) {
            peer.close();
            throw e;
        }
    }

    /** The sockets and verdicts; the descriptors are this process's from now on (to adopt or to close). */
    public HandOver receive() throws IOException {
        HandOverProtocol.Received received = HandOverProtocol.receiveHandOver(peer, WAIT);
        stdio = received.stdio();
        return received.handOver();
    }

    /** Every VIP accepts here now: the old process may stop accepting. */
    public void serving() throws IOException {
        peer.send(HandOverProtocol.SERVING);
    }

    /** This process cannot take over (the old one goes on serving); best effort, the reason in one line. */
    public void failed(String reason) {
        try {
            peer.send(HandOverProtocol.FAILED + " " + reason.replace('\n', ' '));
        } catch (IOException | RuntimeException e) {
            // the old process sees this one exit instead
        }
    }

    /**
     * Waits until the old process has stopped accepting and released its control socket and metrics port; returns
     * what it let go of: the direct-routing flows ({@link DrFlowHandOver}; empty when none) and, for an HA node, its
     * state and heartbeat socket (this process's descriptor now).
     */
    public Release released() throws IOException {
        return HandOverProtocol.receiveRelease(peer, WAIT);
    }

    /** The control socket and metrics port are bound, the pid file written: the old process may stop accepting. */
    public void ready() throws IOException {
        peer.send(HandOverProtocol.READY);
    }

    /**
     * From now on this process writes where the old one wrote (its stdout and stderr: the journal under systemd, the
     * output file of a detached start), not into the pipe the old process read this one's start-up messages from.
     */
    public void adoptStdio() {
        if (stdio.length != 2) {
            return;
        }
        System.out.flush();
        System.err.flush();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            LinuxNative.dup2(errno, stdio[0], 1);
            LinuxNative.dup2(errno, stdio[1], 2);
        }
        SeqPacketSocket.closeAll(stdio);
        stdio = new int[0];
    }

    @Override
    public void close() {
        SeqPacketSocket.closeAll(stdio);
        stdio = new int[0];
        peer.close();
    }
}
