package lbd.director;

import static lbd.director.TestHttp.freePort;
import static lbd.director.TestHttp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
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

    /**
     * The first gate service in a reload starts the DR data plane; when that is refused (here: the VIP is an
     * address of this host, which direct routing cannot serve — refused before any socket is opened, so nothing
     * is sent), the reload is refused whole, including the masq listener it had already opened.
     */
    @Test
    void aReloadWhoseFirstGateServiceIsRefusedKeepsTheRunningConfiguration() throws Exception {
        try (DemoBackends backend = DemoBackends.start("VM2")) {
            int vip = freePort();
            int addedMasq = freePort();
            int gate = freePort();
            ClusterConfig running = parse(config(vip, backend.port(0)));
            ClusterConfig next = parse(config(vip, backend.port(0)) + config(addedMasq, backend.port(0)) + """
                    virtual=127.0.0.1:%d
                    \treal=127.0.0.2:%d gate
                    \tchecktype=on
                    \tservice=none
                    """.formatted(gate, gate));
            try (Director director = Director.start(running, Transport.NIO, 1)) {
                assertThat(get(vip)).isEqualTo("This is VM2");

                assertThatThrownBy(() -> director.reload(next)).isInstanceOf(DirectorException.class)
                        .hasMessageContaining("DR VIP 127.0.0.1 is configured on lo");

                assertThat(director.onControl(director::config)).isSameAs(running);
                assertThat(director.publisher().current().services()).hasSize(1);
                assertThat(get(vip)).isEqualTo("This is VM2");
                // The masq service of the refused file was listening for a moment; it is closed again.
                assertThat(get(addedMasq)).isEqualTo(TestHttp.REFUSED);
                // And the refused reload left nothing half-started: the same file is refused again, the same way.
                assertThatThrownBy(() -> director.reload(next)).isInstanceOf(DirectorException.class);
                assertThat(director.onControl(director::config)).isSameAs(running);
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
}
