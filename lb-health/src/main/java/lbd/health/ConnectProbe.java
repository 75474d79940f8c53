package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.time.Duration;
import lbd.config.model.ProxyProtocol;

/**
 * checktype=connect: the server is up when a TCP connection completes within connecttimeout — and, for a
 * proxyprotocol= service, the PROXY header is written on it, as HAProxy's plain connect check with
 * check-send-proxy sends the header as part of establishing the connection and then closes.
 */
public final class ConnectProbe implements Probe {

    private static final ProbeResult CONNECTED = ProbeResult.up("connect: connected");

    private final InetSocketAddress target;
    private final Duration timeout;
    private final ProxyProtocol proxyHeader;

    public ConnectProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.timeout = spec.check().connectTimeout();
        this.proxyHeader = spec.proxyHeader();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            // Never through a SOCKS proxy (and no ProxySelector URI parsing per check).
            socket.setSoLinger(true, 0); // reset instead of FIN: no TIME_WAIT pile-up at one probe per second
            socket.connect(target, (int) Math.max(1, timeout.toMillis()));
            CheckProxyHeader.write(proxyHeader, socket.getOutputStream());
            return CONNECTED;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("connect probe stopped");
            }
            return ProbeResult.down("connect: " + IoFailures.describe(e, timeout));
        }
    }
}
