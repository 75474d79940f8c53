package lbd.director.core;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What sourceaddress= and transparent=yes need of the host is checked before anything listens, at start and at
 * reload: a source address not on this host, or transparent=yes on NIO, refuses the start with the line naming it,
 * and refuses a reload whole, the running configuration staying as it was.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NatSourcesStartupTest {

    @TempDir
    Path dir;

    @Test
    void aSourceAddressNotOnThisHostRefusesTheStartAndAReload() throws Exception {
        int vip = freePort();
        String service = "virtual=127.0.0.1:%d\n\treal=127.0.0.1:%d masq\n\tchecktype=on\n".formatted(vip, freePort());
        ClusterConfig foreign = load(service + "\tsourceaddress=198.18.255.254\n");
        assertThatThrownBy(() -> Director.start(foreign, Transport.NIO, 1)).isInstanceOf(DirectorException.class)
                .hasMessage("sourceaddress= 198.18.255.254 of TCP 127.0.0.1:" + vip + " is not an address of this"
                        + " host: add it (ip addr add 198.18.255.254/32 dev IFACE) or remove it");

        ClusterConfig running = load(service + "\tsourceaddress=127.0.0.1\n");
        try (Director director = Director.start(running, Transport.NIO, 1)) {
            assertThatThrownBy(() -> director.reload(foreign)).isInstanceOf(DirectorException.class)
                    .hasMessageContaining("198.18.255.254");
            assertThat(director.onControl(director::config)).isSameAs(running);
        }
    }

    @Test
    void transparentOnNioIsRefusedNamingTheTransport() throws Exception {
        ClusterConfig transparent = load("virtual=127.0.0.1:%d\n\treal=127.0.0.1:%d masq\n\tchecktype=on\n"
                .formatted(freePort(), freePort()) + "\ttransparent=yes\n");
        assertThatThrownBy(() -> Director.start(transparent, Transport.NIO, 1)).isInstanceOf(DirectorException.class)
                .hasMessageStartingWith("transparent=yes needs transport=epoll or io_uring: Java's NIO sockets cannot"
                        + " be opened from another host's address (no IP_TRANSPARENT); the NAT proxy runs on nio");
    }

    private ClusterConfig load(String text) throws Exception {
        Path file = dir.resolve("ldirectord-" + System.nanoTime() + ".cf");
        Files.writeString(file, text);
        return switch (ConfigLoader.load(file)) {
            case ConfigResult.Loaded loaded -> loaded.config();
            case ConfigResult.Invalid invalid -> throw new AssertionError(invalid.errors().toString());
        };
    }
}
