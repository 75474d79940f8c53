package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConnectProbeTest {

    @Test
    void upWhenSomethingListens() throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            ProbeResult result = new ConnectProbe(TestConfig.connect().spec(listening.getLocalPort())).check();
            assertThat(result.up()).isTrue();
        }
    }

    @Test
    void downWithTheReasonWhenRefused() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            port = closed.getLocalPort();
        }
        ProbeResult result = new ConnectProbe(TestConfig.connect().spec(port)).check();
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).isEqualTo("connect: connection refused");
    }
}
