package lbd.health;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import lbd.config.model.Protocol;

/**
 * service=sip, as ldirectord's check_sip: one {@code OPTIONS sip:LOGIN SIP/2.0} request to the real server
 * (checkport, else its port) over the virtual service's protocol (UDP for a udp service, else TCP), with the
 * headers ldirectord sends (Via naming the socket's local address and port, Max-Forwards 70, To/From/Contact
 * {@code <sip:LOGIN>}, a random Call-ID, CSeq 63104), within negotiatetimeout. Up when the answer's status line
 * begins with {@code SIP/2.0 200 OK}; receive is not used. {@code login} defaults to ldirectord@HOSTNAME, as
 * ldirectord's with an explicit {@code service=sip} (ldirectord leaves it empty for a service derived from port
 * 5060, sending {@code OPTIONS sip: SIP/2.0}; lbd does not copy that).
 */
public final class SipProbe implements Probe {

    private static final int MAX_ANSWER_BYTES = 65_536;

    private final InetSocketAddress target;
    private final boolean udp;
    private final String login;
    private final Duration timeout;

    public SipProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.udp = spec.server().service().protocol() == Protocol.UDP;
        this.login = spec.check().credentials().login().orElseGet(() -> "ldirectord@" + hostName());
        this.timeout = spec.check().negotiateTimeout();
    }

    /** This host's name, as ldirectord's $HOSTNAME; "localhost" when it cannot be had. */
    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /** ldirectord's request, from the socket's local address and port. */
    String request(InetSocketAddress local) {
        String host = local.getAddress().getHostAddress();
        byte[] callId = new byte[8];
        ThreadLocalRandom.current().nextBytes(callId);
        return "OPTIONS sip:" + login + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP " + host + ":" + local.getPort() + ";branch=z9hG4bKhjhs8ass877\r\n"
                + "Max-Forwards: 70\r\n"
                + "To: <sip:" + login + ">\r\n"
                + "From: <sip:" + login + ">;tag=1928301774\r\n"
                + "Call-ID: " + HexFormat.of().formatHex(callId) + "\r\n"
                + "CSeq: 63104 OPTIONS\r\n"
                + "Contact: <sip:" + login + ">\r\n"
                + "Accept: application/sdp\r\n"
                + "Content-Length: 0\r\n\r\n";
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        Deadline deadline = Deadline.after(timeout);
        try {
            String status = udp ? overUdp(deadline) : overTcp(deadline);
            if (status == null) {
                return ProbeResult.down("negotiate: no SIP answer (No OK)");
            }
            return status.startsWith("SIP/2.0 200 OK") ? ProbeResult.up("negotiate: " + status)
                    : ProbeResult.down("negotiate: " + Texts.snippet(status));
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("sip probe stopped");
            }
            return ProbeResult.down("negotiate: " + IoFailures.describe(e, timeout));
        }
    }

    private String overUdp(Deadline deadline) throws IOException {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(target);
            byte[] out = request(new InetSocketAddress(socket.getLocalAddress(), socket.getLocalPort()))
                    .getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(out, out.length));
            DatagramPacket answer = new DatagramPacket(new byte[MAX_ANSWER_BYTES], MAX_ANSWER_BYTES);
            socket.setSoTimeout(deadline.remainingMillis());
            socket.receive(answer);
            return statusLine(new BufferedReader(new StringReader(
                    new String(answer.getData(), 0, answer.getLength(), StandardCharsets.UTF_8))));
        }
    }

    private String overTcp(Deadline deadline) throws IOException {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.setSoLinger(true, 0);
            socket.connect(target, deadline.remainingMillis());
            OutputStream out = socket.getOutputStream();
            out.write(request((InetSocketAddress) socket.getLocalSocketAddress()).getBytes(StandardCharsets.UTF_8));
            out.flush();
            socket.setSoTimeout(deadline.remainingMillis());
            return statusLine(new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8)));
        }
    }

    /** The first line of the answer (its CR dropped), or null when there is none. */
    private static String statusLine(BufferedReader reader) throws IOException {
        String line = reader.readLine();
        return line == null || line.isEmpty() ? null : line;
    }
}
