package lbd.director;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** The loopback HTTP client and port picking that the director's end-to-end tests share. */
public final class TestHttp {

    /** What {@link #get} answers when nothing listens on the port. */
    public static final String REFUSED = "error: connection refused";

    private TestHttp() {
    }

    /**
     * One HTTP/1.0 GET of /index.html on a new connection to {@code host:port}, from the local address
     * {@code source} (127.0.0.x; null: any): the body, {@link #REFUSED}, or "error: ..." when the connection was
     * accepted and then not served.
     */
    public static String get(String source, String host, int port) {
        try (Socket s = new Socket()) {
            if (source != null) {
                s.bind(new InetSocketAddress(source, 0));
            }
            try {
                s.connect(new InetSocketAddress(host, port), 2_000);
            } catch (ConnectException refusedConnect) {
                return REFUSED;
            }
            s.setSoTimeout(5_000);
            s.getOutputStream().write("GET /index.html HTTP/1.0\r\nHost: vip\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int body = response.indexOf("\r\n\r\n");
            return body < 0 ? "error: no HTTP response: " + response : response.substring(body + 4).strip();
        } catch (IOException e) {
            return "error: " + e;
        }
    }

    /** As above, to 127.0.0.1 from any local address. */
    public static String get(int port) {
        return get(null, "127.0.0.1", port);
    }

    /** A TCP port free on loopback now (a test binds it soon after; nothing else here takes ports at random). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
