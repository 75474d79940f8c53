package lbd.director.metrics;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.director.core.DirectorException;

/**
 * The live status page: one HTML file with its CSS and JavaScript inline (no other request than its data, so it
 * works on an air-gapped director), served at {@code /}; it polls {@code /status.json} every second. The page's
 * Content-Security-Policy allows exactly its own inline script and style (by their SHA-256) and fetches from its
 * own origin, nothing else.
 */
final class StatusPage {

    private static final byte[] PAGE = load();
    private static final String POLICY = policy(new String(PAGE, StandardCharsets.UTF_8));

    private StatusPage() {
    }

    /** {@code /}: the page; any other path that no context takes: 404. */
    static void page(HttpExchange exchange, boolean enabled) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!enabled || !(path.equals("/") || path.equals("/index.html"))) {
            text(exchange, 404, "not found: lbd serves /metrics" + (enabled ? ", / and /status.json" : "") + "\n");
            return;
        }
        exchange.getResponseHeaders().set("Content-Security-Policy", POLICY);
        exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
        send(exchange, 200, "text/html; charset=utf-8", PAGE);
    }

    /** {@code /status.json}: what the page polls; 503 when the control plane did not answer in time. */
    static void json(HttpExchange exchange, Supplier<String> statusJson) throws IOException {
        String body;
        try {
            body = statusJson.get();
        } catch (DirectorException e) {
            text(exchange, 503, "status not available: " + e.getMessage() + "\n");
            return;
        }
        send(exchange, 200, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    static void text(HttpExchange exchange, int code, String message) throws IOException {
        send(exchange, code, "text/plain; charset=utf-8", message.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int code, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static byte[] load() {
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html is missing from lbd's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The policy that lets exactly the page's inline {@code <script>} and {@code <style>} run. */
    static String policy(String page) {
        return "default-src 'none'; script-src " + hashes(page, "script") + "; style-src " + hashes(page, "style")
                + "; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
                + " frame-ancestors 'none'";
    }

    private static String hashes(String page, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(page);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(m.group(1).getBytes(StandardCharsets.UTF_8));
                out.append(out.isEmpty() ? "" : " ").append("'sha256-").append(Base64.getEncoder().encodeToString(digest))
                        .append('\'');
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }
        return out.isEmpty() ? "'none'" : out.toString();
    }
}
