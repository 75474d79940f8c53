package lbd.director.upgrade;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lbd.config.Endpoints;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.director.unix.SeqPacketSocket;
import lbd.health.HealthState;
import lbd.health.InheritedVerdict;

/**
 * The messages of a hand-over, one SOCK_SEQPACKET message each, text first ({@code kind [words]}, then lines):
 * <pre>
 *   new → old   hello PID
 *   old → new   socket tcp|udp VIP:PORT          + SCM_RIGHTS: that VIP's sockets
 *   old → new   stdio                            + SCM_RIGHTS: the old process's stdout and stderr
 *   old → new   verdicts\n(PROTO VIP:PORT RIP:PORT up|down MAINTENANCE(0|1) REASON\n)*   (in parts)
 *   old → new   end
 *   new → old   serving  |  failed REASON
 *   old → new   dr-flows\nBYTES   (in parts; none when there are no flows)
 *   old → new   ha\nSTATE                       + SCM_RIGHTS: the heartbeat socket   (an HA node only)
 *   old → new   released
 *   new → old   ready
 * </pre>
 * "serving" means the new process accepts on every VIP; "released" that the old one has closed its control socket
 * and metrics port (the new one binds them next) and, under systemd, made the new one the main process; "ready" that
 * the new one has bound them and written its pid file: only then does the old one stop accepting, and answer. Both
 * versions of lbd speak this; a message of an unknown kind fails the hand-over.
 */
final class HandOverProtocol {

    static final String HELLO = "hello";
    static final String SOCKET = "socket";
    static final String STDIO = "stdio";
    static final String VERDICTS = "verdicts";
    static final String END = "end";
    static final String SERVING = "serving";
    static final String FAILED = "failed";
    static final String DR_FLOWS = "dr-flows";
    static final String HA = "ha";
    static final String RELEASED = "released";
    static final String READY = "ready";

    private HandOverProtocol() {
    }

    /** Old side: every part of {@code handOver} and the stdio descriptors, then "end". */
    static void sendHandOver(SeqPacketSocket peer, HandOver handOver, int[] stdio) throws IOException {
        for (Map.Entry<VirtualServiceKey, int[]> socket : handOver.sockets().entrySet()) {
            peer.send(SOCKET + " " + wire(socket.getKey()), socket.getValue());
        }
        peer.send(STDIO, stdio);
        List<String> lines = new ArrayList<>();
        handOver.verdicts().forEach((server, verdict) -> lines.add(wire(server.service()) + " " + server.address()
                + " " + verdict.state().word() + " " + (verdict.maintenance() ? 1 : 0) + " "
                + verdict.reason().replace('\n', ' ')));
        sendLines(peer, VERDICTS, lines);
        peer.send(END);
    }

    /** What the new side received: the hand-over, and the old process's stdout and stderr (or none). */
    record Received(HandOver handOver, int[] stdio) {
    }

    /** New side: reads until "end". On failure every descriptor received so far is closed. */
    static Received receiveHandOver(SeqPacketSocket peer, Duration wait) throws IOException {
        Map<VirtualServiceKey, int[]> sockets = new HashMap<>();
        Map<RealServerKey, InheritedVerdict> verdicts = new HashMap<>();
        int[] stdio = new int[0];
        try {
            while (true) {
                SeqPacketSocket.Received message = peer.receive(wait);
                String text = message.text();
                String first = firstLine(text);
                String kind = first.split(" ", 2)[0];
                switch (kind) {
                    case SOCKET -> {
                        String[] w = first.split(" ");
                        if (w.length != 3) {
                            SeqPacketSocket.closeAll(message.fds());
                            throw new IOException("bad hand-over message: " + first);
                        }
                        sockets.put(serviceKey(w[1], w[2]), message.fds());
                    }
                    case STDIO -> stdio = message.fds();
                    case VERDICTS -> {
                        for (String line : text.substring(first.length()).strip().lines().toList()) {
                            parseVerdict(line, verdicts);
                        }
                    }
                    case END -> {
                        return new Received(new HandOver(sockets, verdicts), stdio);
                    }
                    default -> {
                        SeqPacketSocket.closeAll(message.fds());
                        throw new IOException("unexpected hand-over message: " + first);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            sockets.values().forEach(SeqPacketSocket::closeAll);
            SeqPacketSocket.closeAll(stdio);
            throw e;
        }
    }

    /** Old side: the DR flows as "dr-flows" messages (none when empty), the HA node's "ha", then "released". */
    static void sendRelease(SeqPacketSocket peer, Release release) throws IOException {
        byte[] drFlows = release.drFlows();
        byte[] header = (DR_FLOWS + "\n").getBytes(StandardCharsets.US_ASCII);
        int room = SeqPacketSocket.MAX_MESSAGE - header.length;
        for (int from = 0; from < drFlows.length; from += room) {
            int length = Math.min(room, drFlows.length - from);
            byte[] message = Arrays.copyOf(header, header.length + length);
            System.arraycopy(drFlows, from, message, header.length, length);
            peer.send(message);
        }
        if (release.haState() != null) {
            peer.send(HA + "\n" + release.haState(), release.haSocket());
        }
        peer.send(RELEASED);
    }

    /** New side: the DR flows (maybe none) and the HA node's state and socket (maybe none) up to "released". */
    static Release receiveRelease(SeqPacketSocket peer, Duration wait) throws IOException {
        ByteArrayOutputStream flows = new ByteArrayOutputStream();
        int headerLength = DR_FLOWS.length() + 1;
        String haState = null;
        int haSocket = -1;
        try {
            while (true) {
                SeqPacketSocket.Received message = peer.receive(wait);
                String first = firstLine(message.text());
                if (first.equals(HA) && message.fds().length == 1 && haSocket < 0) {
                    haState = message.text().substring(HA.length() + 1);
                    haSocket = message.fds()[0];
                    continue;
                }
                SeqPacketSocket.closeAll(message.fds()); // none are sent with the others
                if (first.equals(RELEASED)) {
                    return new Release(flows.toByteArray(), haState, haSocket);
                }
                if (!first.equals(DR_FLOWS)) {
                    throw new IOException("unexpected hand-over message: " + first);
                }
                flows.write(message.bytes(), headerLength, message.bytes().length - headerLength);
            }
        } catch (IOException | RuntimeException e) {
            if (haSocket >= 0) {
                SeqPacketSocket.closeAll(haSocket);
            }
            throw e;
        }
    }

    /** Lines in as few messages as fit, each starting with {@code kind}; at least one message. */
    private static void sendLines(SeqPacketSocket peer, String kind, List<String> lines) throws IOException {
        byte[] header = (kind + "\n").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream part = new ByteArrayOutputStream();
        part.writeBytes(header);
        for (String line : lines) {
            byte[] entry = (line + "\n").getBytes(StandardCharsets.UTF_8);
            if (part.size() + entry.length > SeqPacketSocket.MAX_MESSAGE && part.size() > header.length) {
                peer.send(part.toByteArray());
                part.reset();
                part.writeBytes(header);
            }
            part.write(entry, 0, Math.min(entry.length, SeqPacketSocket.MAX_MESSAGE - header.length));
        }
        peer.send(part.toByteArray());
    }

    private static void parseVerdict(String line, Map<RealServerKey, InheritedVerdict> into) throws IOException {
        String[] w = line.split(" ", 6);
        if (w.length < 5) {
            throw new IOException("bad verdict in the hand-over: " + line);
        }
        HealthState state = switch (w[3]) {
            case "up" -> HealthState.UP;
            case "down" -> HealthState.DOWN;
            default -> throw new IOException("bad verdict in the hand-over: " + line);
        };
        into.put(new RealServerKey(serviceKey(w[0], w[1]), endpoint(w[2])),
                new InheritedVerdict(state, w.length > 5 ? w[5] : "", w[4].equals("1")));
    }

    static String firstLine(String text) {
        int eol = text.indexOf('\n');
        return eol < 0 ? text : text.substring(0, eol);
    }

    static String wire(VirtualServiceKey key) {
        return key.protocol().name().toLowerCase(Locale.ROOT) + " " + key.address();
    }

    private static VirtualServiceKey serviceKey(String protocol, String address) throws IOException {
        Protocol p = switch (protocol) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw new IOException("bad protocol in the hand-over: " + protocol);
        };
        return new VirtualServiceKey(p, endpoint(address));
    }

    private static Endpoint endpoint(String text) throws IOException {
        try {
            return Endpoints.parse(text, -1, Endpoints.NUMERIC_ONLY);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad address in the hand-over: " + e.getMessage());
        }
    }
}
