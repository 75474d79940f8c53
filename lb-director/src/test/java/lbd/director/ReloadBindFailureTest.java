package lbd.director;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.director.core.Director;
import lbd.director.core.DirectorException;
import lbd.director.demo.DemoBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reload whose new VIP cannot be bound (the port is taken) is refused as a whole: the running configuration,
 * its listeners and its tables stay exactly as they were.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReloadBindFailureTest {

    @Test
    void aReloadThatCannotBindANewVipKeepsTheRunningConfiguration() throws Exception {
        try (DemoBackends backend = DemoBackends.start("VM2");
                ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int vip = freePort();
            ClusterConfig running = parse(config(vip, backend.port(0)));
            // The new file keeps the running service and adds one on a port something else already holds.
            ClusterConfig next = parse(config(vip, backend.port(0)) + """
                    virtual=127.0.0.1:%d
                    \treal=127.0.0.1:%d masq
                    \tchecktype=on
                    \tservice=none
                    """.formatted(taken.getLocalPort(), backend.port(0)));
            try (Director director = Director.start(running, Transport.NIO, 1)) {
                assertThat(get(vip)).isEqualTo("This is VM2");

                assertThatThrownBy(() -> director.reload(next))
                        .isInstanceOf(DirectorException.class)
                        .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
                        .hasMessageContaining("cannot accept connections");

                assertThat(director.onControl(director::config)).isSameAs(running);
                assertThat(director.publisher().current().services()).hasSize(1);
                assertThat(get(vip)).isEqualTo("This is VM2");
            }
        }
    }

    private static String config(int vip, int realPort) {
        return """
                virtual=127.0.0.1:%d
                \treal=127.0.0.1:%d masq
                \tchecktype=on
                \tservice=none
                \tscheduler=rr
                """.formatted(vip, realPort);
    }

    private static ClusterConfig parse(String text) {
        return ((ConfigResult.Loaded) ConfigLoader.parse("test.cf", text)).config();
    }

    private static String get(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return response.substring(response.indexOf("\r\n\r\n") + 4).strip();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
