package lbd.health;

import java.net.InetAddress;
import java.net.ServerSocket;
import lbd.config.model.VirtualServiceKey;

/** What the health tests read from a running monitor, and a port where nothing listens. */
final class MonitorView {

    private MonitorView() {
    }

    /** The published status of the real server on {@code port} of {@code service}. */
    static RealServerStatus status(HealthView view, VirtualServiceKey service, int port) {
        return view.service(service).orElseThrow().servers().stream()
                .filter(s -> s.server().address().port() == port).findFirst().orElseThrow();
    }

    /** A loopback port that was free a moment ago: connecting to it is refused. */
    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
