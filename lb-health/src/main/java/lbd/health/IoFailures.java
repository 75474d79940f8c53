package lbd.health;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;

import javax.net.ssl.SSLException;

/** Turns an I/O failure of a probe into a short reason an operator understands. */
final class IoFailures {

    private IoFailures() {
    }

    static String describe(IOException e, Duration timeout) {
        return switch (e) {
            case SocketTimeoutException _ -> "timed out after " + Texts.duration(timeout);
            case ConnectException c -> lower(c.getMessage(), "connection failed");
            case NoRouteToHostException _ -> "no route to host";
            // A UDP probe's connected socket: the host answered ICMP port unreachable (nothing listens there).
            case PortUnreachableException _ -> "port unreachable (nothing listens on the UDP port)";
            case UnknownHostException u -> "unknown host " + u.getMessage();
            case EOFException _ -> "connection closed before a complete response";
            case SSLException s -> "TLS: " + lower(s.getMessage(), "handshake failed");
            default -> lower(e.getMessage(), e.getClass().getSimpleName());
        };
    }

    private static String lower(String message, String fallback) {
        if (message == null || message.isBlank()) {
            return fallback;
        }
        // "Connection refused" -> "connection refused"; keep the rest of the message as the JDK wrote it.
        return message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
    }
}
