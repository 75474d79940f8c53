package lbd.dataplane.dr.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.Shell;
import lbd.dataplane.dr.sys.DrSystemException;
import org.junit.jupiter.api.Test;

/**
 * {@link XdpReceive}'s failure paths close what they opened: maps, programs and sockets. An interface that does not
 * exist lets the maps and the program be made, then refuses the first socket's bind. Root only (bpf(2), AF_XDP).
 */
class XdpReceiveTest {

    private static final DrInterface ABSENT = new DrInterface("lbd-absent0", 0x7ffffff0, 0x02_00_00_00_00_0aL);

    @Test
    void anOpenThatFailsLeavesNoDescriptorOpen() throws Exception {
        assumeTrue(Shell.isRoot(), "XdpReceiveTest needs root (bpf(2), AF_XDP); skipped");
        List<VirtualServiceKey> services = List.of(
                new VirtualServiceKey(Protocol.TCP, new Endpoint(InetAddress.getByName("198.18.0.100"), 80)));
        assertThatThrownBy(() -> XdpReceive.open(List.of(ABSENT), 2, services, true)) // classes loaded, once
                .isInstanceOf(DrSystemException.class);
        long before = openDescriptors();
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> XdpReceive.open(List.of(ABSENT), 2, services, true))
                    .isInstanceOf(DrSystemException.class).hasMessageContaining("lbd-absent0");
        }
        assertThat(openDescriptors()).isEqualTo(before);
    }

    @Test
    void aClosedReceivePathOpensNothing() throws Exception {
        assumeTrue(Shell.isRoot(), "XdpReceiveTest needs root (bpf(2), AF_XDP); skipped");
        long before = openDescriptors();
        XdpReceive r = XdpReceive.open(List.of(ABSENT), 1, List.of(), false); // maps and a program, no socket
        assertThat(openDescriptors()).isGreaterThan(before);
        r.close();
        r.close(); // a second close closes nothing (the numbers may be another's by then)
        assertThat(openDescriptors()).isEqualTo(before);
        assertThatThrownBy(r::openSockets).isInstanceOf(DrSystemException.class).hasMessageContaining("closed");
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
