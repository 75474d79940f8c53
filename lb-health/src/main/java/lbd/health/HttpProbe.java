package lbd.health;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.net.ssl.SNIHostName;
import lbd.config.model.ProxyProtocol;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * service=http|https with checktype=negotiate, as ldirectord's check_http: {@code METHOD /request HTTP/1.0} with
 * {@code Host: virtualhost} (else the real server's IP), the whole exchange bounded by negotiatetimeout; up when
 * the status is 2xx/3xx and the body contains a match of {@code receive} (any body when receive is unset).
 * A request written as an absolute {@code http://host:port/path} URL is sent to that host instead of the real
 * server. https does not verify certificates ({@link TrustAllTls}). http_proxy: see {@link #throughProxy}.
 */
public final class HttpProbe implements Probe {

    /** Bodies are read up to this much; a receive pattern must match within it. */
    static final int MAX_RESPONSE = 1024 * 1024;

    private final boolean tls;
    private final Optional<InetSocketAddress> fixedTarget;
    private final URI absoluteUrl; // non-null when request was an absolute URL: resolved per check (DNS may change)
    private final String host;
    private final byte[] request;
    private final ReceivePattern receive;
    private final boolean head;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final ProxyProtocol proxyHeader;
    /** Most check pages fit; a blocking probe holds one while it runs, a loop's check borrows one. */
    static final int INITIAL_BUFFER = 4 * 1024;
    /** Owned by the checker thread; made at the first blocking check (a check on the loop never needs it). */
    private byte[] buffer;
    private final String timedOut;
    /** The last up verdict and its status code (see {@link #up(int)}). */
    private ProbeResult lastUp;
    private int lastUpCode;

    public HttpProbe(CheckSpec spec, boolean tls) {
        this(spec, tls, false);
    }

    /**
     * service=http_proxy, as ldirectord's check_http for it: the request is an absolute URL fetched through the real
     * server as an HTTP proxy ({@code GET http://host/path}); a request that is not one (a real= line's own) names a
     * path on the real server itself, as ldirectord builds {@code http://REAL:PORT/path}. virtualhost is not used.
     */
    public static HttpProbe throughProxy(CheckSpec spec) {
        return new HttpProbe(spec, false, true);
    }

    private HttpProbe(CheckSpec spec, boolean tls, boolean proxy) {
        this.tls = tls;
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
        String requested = spec.request().orElse("/");
        String ip = spec.server().address().hostAddress();
        String ipHost = ip.contains(":") ? "[" + ip + "]" : ip;
        if (proxy) {
            String url = requested.startsWith("/") ? requested.substring(1) : requested;
            URI absolute = parseAbsolute(url);
            if (absolute == null) {
                absolute = URI.create("http://" + ipHost + ":" + spec.target().port() + "/" + url);
            }
            this.absoluteUrl = null;
            this.fixedTarget = Optional.of(spec.target().toSocketAddress());
            this.host = absolute.getRawAuthority();
            this.request = requestBytes(spec, absolute.toASCIIString());
            this.head = spec.check().httpMethod().equalsIgnoreCase("HEAD");
            this.receive = ReceivePattern.of(spec.receive());
            this.proxyHeader = spec.proxyHeader(); // the real server is the proxy the check connects to
            this.timedOut = timedOutAfter(timeout);
            return;
        }
        URI absolute = parseAbsolute(requested);
        String path;
        if (absolute != null) {
            this.absoluteUrl = absolute;
            this.fixedTarget = Optional.empty();
            path = (absolute.getRawPath() == null || absolute.getRawPath().isEmpty() ? "/" : absolute.getRawPath())
                    + (absolute.getRawQuery() == null ? "" : "?" + absolute.getRawQuery());
        } else {
            this.absoluteUrl = null;
            this.fixedTarget = Optional.of(spec.target().toSocketAddress());
            path = "/" + requested.replaceFirst("^/+", "");
        }
        String defaultHost = absolute != null ? absolute.getHost() : ipHost;
        this.host = spec.check().virtualHost().orElse(defaultHost);
        this.head = spec.check().httpMethod().equalsIgnoreCase("HEAD");
        this.request = requestBytes(spec, path);
        this.receive = ReceivePattern.of(spec.receive());
        // A request for another host (an absolute URL) goes to that host, which is not the real server: no header.
        this.proxyHeader = absolute != null ? ProxyProtocol.OFF : spec.proxyHeader();
        this.timedOut = timedOutAfter(timeout);
    }

    private byte[] requestBytes(CheckSpec spec, String target) {
        String method = spec.check().httpMethod().toUpperCase(Locale.ROOT);
        return (method + " " + target + " HTTP/1.0\r\n"
                + "Host: " + host + "\r\n"
                + "User-Agent: lbd-health\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (receive.invalidReason() != null) {
            return ProbeResult.down(receive.invalidReason());
        }
        Deadline deadline = Deadline.after(timeout);
        if (buffer == null) {
            buffer = new byte[INITIAL_BUFFER];
        }
        int length;
        try {
            length = exchange(deadline);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("http probe stopped");
            }
            return failed(e);
        }
        try {
            return judge(buffer, length);
        } finally {
            if (buffer.length > INITIAL_BUFFER) {
                buffer = new byte[INITIAL_BUFFER]; // do not keep a megabyte per server between checks
            }
        }
    }

    // ---- the same check, run without a thread of its own by SocketCheckLoop (plain TCP to the real server) ----

    /**
     * True when this check can run on the {@link SocketCheckLoop}: plain TCP (no TLS) to a fixed address (not an
     * absolute URL's host, which is resolved per check). The loop then connects, writes {@link #loopRequest()},
     * reads until {@link #complete}, and judges with {@link #judge} — the rules {@link #check()} uses.
     */
    boolean runsOnLoop() {
        return !tls && fixedTarget.isPresent();
    }

    InetSocketAddress loopTarget() {
        return fixedTarget.orElseThrow();
    }

    /** What the loop writes once connected: the PROXY header (if any) and the request, in one buffer. */
    ByteBuffer loopRequest() {
        byte[] header = CheckProxyHeader.bytes(proxyHeader);
        byte[] all = Arrays.copyOf(header, header.length + request.length);
        System.arraycopy(request, 0, all, header.length, request.length);
        return ByteBuffer.wrap(all).asReadOnlyBuffer();
    }

    Duration timeout() {
        return timeout;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    /** Why every check fails before any I/O (an invalid receive pattern), or null. */
    String invalidReason() {
        return receive.invalidReason();
    }

    /** The result of an I/O failure, in the words of {@link IoFailures}. */
    ProbeResult failed(IOException e) {
        return ProbeResult.down("negotiate: " + IoFailures.describe(e, timeout));
    }

    /** The reason of a check that ran out of negotiatetimeout (built once). */
    String timedOut() {
        return timedOut;
    }

    private static String timedOutAfter(Duration timeout) {
        return "negotiate: " + IoFailures.describe(new SocketTimeoutException(), timeout);
    }

    /**
     * Whether the response in {@code buf[0, length)} is whole: its headers have ended and its Content-Length (none
     * for HEAD) has arrived. Without a Content-Length the body ends when the server closes.
     */
    boolean complete(byte[] buf, int length) {
        int bodyStart = HttpResponse.headerEnd(buf, length);
        if (bodyStart < 0) {
            return false;
        }
        long expected = head ? 0 : HttpResponse.contentLength(buf, bodyStart);
        return expected >= 0 && length - bodyStart >= expected;
    }

    private int exchange(Deadline deadline) throws IOException {
        InetSocketAddress target = fixedTarget.isPresent() ? fixedTarget.get()
                : new InetSocketAddress(absoluteUrl.getHost(), absoluteUrl.getPort() > 0 ? absoluteUrl.getPort()
                        : "https".equalsIgnoreCase(absoluteUrl.getScheme()) ? 443 : 80);
        try (Socket plain = new Socket(Proxy.NO_PROXY)) {
            plain.setSoLinger(true, 0);
            plain.connect(target, deadline.remainingMillis(connectTimeout));
            CheckProxyHeader.write(proxyHeader, plain.getOutputStream()); // before TLS, as HAProxy sends it
            Socket socket = plain;
            if (tls) {
                SSLSocket ssl = (SSLSocket) TrustAllTls.socketFactory()
                        .createSocket(plain, host, target.getPort(), true);
                if (!looksLikeIp(host)) {
                    SSLParameters parameters = ssl.getSSLParameters();
                    parameters.setServerNames(List.of(new SNIHostName(host)));
                    ssl.setSSLParameters(parameters);
                }
                ssl.setSoTimeout(deadline.remainingMillis());
                ssl.startHandshake();
                socket = ssl;
            }
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            return readResponse(socket, deadline);
        }
    }

    /** Reads until the server closes, Content-Length is satisfied, or the buffer cap; returns bytes held. */
    private int readResponse(Socket socket, Deadline deadline) throws IOException {
        InputStream in = socket.getInputStream();
        int length = 0;
        while (true) {
            socket.setSoTimeout(deadline.remainingMillis());
            if (length == buffer.length) {
                if (buffer.length >= MAX_RESPONSE) {
                    break;
                }
                buffer = Arrays.copyOf(buffer, Math.min(MAX_RESPONSE, buffer.length * 2));
            }
            int n = in.read(buffer, length, buffer.length - length);
            if (n < 0) {
                break;
            }
            length += n;
            if (complete(buffer, length)) {
                break;
            }
        }
        return length;
    }

    /** The verdict on a response of {@code length} bytes in {@code buf} (all that arrived, up to MAX_RESPONSE). */
    ProbeResult judge(byte[] buf, int length) {
        int bodyStart = HttpResponse.headerEnd(buf, length);
        if (bodyStart < 0) {
            return ProbeResult.down(length == 0 ? "negotiate: connection closed without a response"
                    : "negotiate: not an HTTP response (" + Texts.size(length) + ")");
        }
        int code = HttpResponse.statusCode(buf, bodyStart);
        if (code == HttpResponse.NOT_HTTP) {
            return ProbeResult.down("negotiate: not an HTTP response: \""
                    + Texts.snippet(new String(buf, 0, Math.min(length, 60), StandardCharsets.ISO_8859_1)) + "\"");
        }
        int bodyLength = length - bodyStart;
        if (code < 200 || code >= 400) {
            return ProbeResult.down("negotiate: HTTP " + code + " " + HttpResponse.status(buf, bodyStart).reason());
        }
        if (receive.isSet()) {
            String body = new String(buf, bodyStart, bodyLength, StandardCharsets.UTF_8);
            if (!receive.foundIn(body)) {
                return ProbeResult.down("negotiate: receive \"" + receive.text() + "\" not matched (HTTP "
                        + code + ", " + Texts.size(bodyLength) + ")");
            }
        }
        return up(code);
    }

    /**
     * "negotiate: HTTP 200": made once per code a server keeps answering, not per check. The same instance each time
     * also lets the verdict see an unchanged reason by identity.
     */
    private ProbeResult up(int code) {
        ProbeResult last = lastUp;
        if (last == null || lastUpCode != code) {
            last = ProbeResult.up("negotiate: HTTP " + code);
            lastUpCode = code; // probes of one server never overlap: one thread at a time writes these
            lastUp = last;
        }
        return last;
    }

    private static URI parseAbsolute(String request) {
        String lower = request.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            return null;
        }
        try {
            URI uri = new URI(request);
            return uri.getHost() == null ? null : uri;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static boolean looksLikeIp(String host) {
        return host.startsWith("[") || host.contains(":") || host.matches("[0-9.]+");
    }
}
