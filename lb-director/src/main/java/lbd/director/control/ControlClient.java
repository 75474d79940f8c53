package lbd.director.control;

import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.ByteArrayOutputStream;

/** lbadm's end of the control socket: one request, one reply (see {@link ControlRequest} for the protocol). */
public final class ControlClient {

    private ControlClient() {
    }

    /** Thrown when nothing answers on the socket; the message tells the operator what to do. */
    public static final class NotRunning extends IOException {
        public NotRunning(String message) {
            super(message);
        }
    }

    public static ControlReply send(Path socket, ControlRequest request) throws IOException {
        return send(socket, request.toLine());
    }

    /** Sends one raw line (tests use this to send what lbadm never would). */
    public static ControlReply send(Path socket, String line) throws IOException {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (SocketException e) {
            String why = Files.exists(socket) ? "nothing answers there (" + e.getMessage() + ")" : "it does not exist";
            throw new NotRunning("no lbd is running on the control socket " + socket + ": " + why
                    + "; start lbd, or give its socket with --socket PATH");
        }
        try (channel) {
            ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput(); // one request per connection: tells the server nothing more is coming
            ByteArrayOutputStream in = new ByteArrayOutputStream(4096);
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (channel.read(buf.clear()) >= 0) {
                in.write(buf.array(), 0, buf.position());
            }
            if (in.size() == 0) {
                throw new IOException("lbd closed the control connection without a reply (see its log)");
            }
            return ControlReply.fromWire(in.toString(StandardCharsets.UTF_8));
        }
    }
}
