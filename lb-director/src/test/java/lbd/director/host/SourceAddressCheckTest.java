package lbd.director.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceAddressCheckTest {

    @TempDir
    Path dir;

    @Test
    void anAddressNotOnThisHostIsNamedWithTheFix() throws Exception {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, "virtual=127.0.0.1:8080\n\treal=127.0.0.2:80 masq\n\tchecktype=on\n"
                + "\tsourceaddress=127.0.0.1,198.18.255.254\n");
        ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
        assertThat(SourceAddressCheck.problems(config)).containsExactly("sourceaddress= 198.18.255.254 of TCP"
                + " 127.0.0.1:8080 is not an address of this host: add it (ip addr add 198.18.255.254/32 dev IFACE)"
                + " or remove it");
        assertThat(SourceAddressCheck.problems(config, a -> true)).isEmpty();
        assertThat(SourceAddressCheck.problems(config, a -> !a.equals(loopback()))).hasSize(1);
    }

    private static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }
}
