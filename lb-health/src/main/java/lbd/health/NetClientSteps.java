package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.time.Duration;

import org.apache.commons.net.SocketClient;

/**
 * Runs a Commons Net client (ftp, smtp, pop, imap, nntp) within one probe's deadline: the connect bounded by
 * connecttimeout, the greeting and every later step by what is left of negotiatetimeout, and the connection
 * closed on every path.
 */
final class NetClientSteps {

    private NetClientSteps() {
    }

    /** Connects and reads the greeting (the client's own connect action), within the deadline. */
    static void connect(SocketClient client, InetSocketAddress target, Deadline deadline, Duration connectTimeout)
            throws IOException {
        client.setProxy(Proxy.NO_PROXY);
        client.setConnectTimeout(deadline.remainingMillis(connectTimeout));
        client.setDefaultTimeout(deadline.remainingMillis()); // applied to the socket before the greeting is read
        client.connect(target.getAddress(), target.getPort());
    }

    /** Bounds the next command's reply by what is left of the deadline. */
    static void nextStep(SocketClient client, Deadline deadline) throws IOException {
        client.setSoTimeout(deadline.remainingMillis());
    }

    /** Closes the connection without waiting for the server; a failure to close changes no verdict. */
    static void close(SocketClient client) {
        if (client.isConnected()) {
            try {
                client.disconnect();
            } catch (IOException ignored) {
                // the verdict is already made
            }
        }
    }

    /** A server's reply on one short line, for a reason. */
    static String reply(String replyString) {
        return replyString == null || replyString.isBlank() ? "no reply" : "\"" + Texts.snippet(replyString) + "\"";
    }

    /** The down result for an I/O failure, or the interruption that caused it. */
    static ProbeResult failed(String service, IOException e, Duration timeout) throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException(service + " probe stopped");
        }
        return ProbeResult.down("negotiate: " + service + ": " + IoFailures.describe(e, timeout));
    }
}
