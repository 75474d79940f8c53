package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.time.Duration;

/** checktype=connect: the server is up when a TCP connection completes within connecttimeout. */
public final class ConnectProbe implements Probe {

    private static final ProbeResult CONNECTED = ProbeResult.up("connect: connected");

    private final InetSocketAddress target;
    private final Duration timeout;

    public ConnectProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.timeout = spec.check().connectTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        try (Socket socket = new Socket(Proxy.NO_PROXY)) {
            // Never through a SOCKS proxy (and no ProxySelector URI parsing per check).
            socket.setSoLinger(true, 0); // reset instead of FIN: no TIME_WAIT pile-up at one probe per second
            socket.connect(target, (int) Math.max(1, timeout.toMillis()));
            return CONNECTED;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("connect probe stopped");
            }
            return ProbeResult.down("connect: " + IoFailures.describe(e, timeout));
        }
    }
}
