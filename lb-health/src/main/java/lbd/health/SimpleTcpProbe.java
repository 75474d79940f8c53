package lbd.health;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import lbd.config.model.ProxyProtocol;

/**
 * service=simpletcp with checktype=negotiate, as ldirectord's check_simpletcp: send {@code request} verbatim
 * (each {@code \n} written in the file becomes a newline), half-close, then read the answer line by line until a
 * line contains a match of {@code receive}; all within negotiatetimeout. Without receive, any answer (even an
 * empty one that ends cleanly) passes.
 */
public final class SimpleTcpProbe implements Probe {

    private static final int MAX_LINES_BYTES = 1024 * 1024;

    private final InetSocketAddress target;
    private final byte[] request;
    private final ReceivePattern receive;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final ProxyProtocol proxyHeader;

    public SimpleTcpProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
        this.proxyHeader = spec.proxyHeader();
        this.request = spec.request().orElse("").replace("\\n", "\n").getBytes(StandardCharsets.UTF_8);
        this.receive = ReceivePattern.of(spec.receive());
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (receive.invalidReason() != null) {
            return ProbeResult.down(receive.invalidReason());
        }
        Deadline deadline = Deadline.after(timeout);
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            socket.setSoLinger(true, 0);
            socket.connect(target, deadline.remainingMillis(connectTimeout));
            OutputStream out = socket.getOutputStream();
            CheckProxyHeader.write(proxyHeader, out);
            out.write(request);
            out.flush();
            socket.shutdownOutput();
            BufferedReader reader = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            long seen = 0;
            while (seen < MAX_LINES_BYTES) {
                socket.setSoTimeout(deadline.remainingMillis());
                String line = reader.readLine();
                if (line == null) {
                    break;
                }
                seen += line.length() + 1;
                if (!receive.isSet() || receive.foundIn(line)) {
                    return ProbeResult.up("negotiate: answered");
                }
            }
            return !receive.isSet() ? ProbeResult.up("negotiate: answered")
                    : ProbeResult.down("negotiate: receive \"" + receive.text() + "\" not matched ("
                            + Texts.size(seen) + " received)");
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("simpletcp probe stopped");
            }
            return ProbeResult.down("negotiate: " + IoFailures.describe(e, timeout));
        }
    }
}
