package lbd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ProcNetTcpTest {

    @Test
    void readsTheKernelsHexEndpointsAndStates() {
        // A line of /proc/net/tcp: 127.0.0.1:8080 -> 127.0.0.1:40000, CLOSE_WAIT.
        assertThat(ProcNetTcp.endpoint("0100007F:1F90")).isEqualTo("127.0.0.1:8080");
        assertThat(ProcNetTcp.endpoint("0212C6C6:9C40")).isEqualTo("198.198.18.2:40000");
        // ::1 and 2001:db8::1, as tcp6 writes them (four little-endian words).
        assertThat(ProcNetTcp.endpoint("00000000000000000000000001000000:0050")).isEqualTo("[0:0:0:0:0:0:0:1]:80");
        assertThat(ProcNetTcp.endpoint("B80D0120000000000000000001000000:01BB"))
                .isEqualTo("[2001:db8:0:0:0:0:0:1]:443");
        assertThat(ProcNetTcp.state("08")).isEqualTo("CLOSE_WAIT");
        assertThat(ProcNetTcp.state("0A")).isEqualTo("LISTEN");
        assertThat(ProcNetTcp.state("1F")).isEqualTo("state 1F");
    }

    @Test
    void findsThisProcesssListeningSocketAmongItsDescriptors() throws Exception {
        long self = ProcessHandle.current().pid();
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            Map<String, ProcNetTcp.TcpSocket> tcp = ProcNetTcp.sockets(self);
            assertThat(ProcNetTcp.descriptorLinks(self)).filteredOn(tcp::containsKey).extracting(tcp::get)
                    .anySatisfy(socket -> {
                        assertThat(socket.localPort()).isEqualTo(port);
                        assertThat(socket.state()).isEqualTo("LISTEN");
                        assertThat(socket.toString()).isEqualTo(
                                "tcp 127.0.0.1:" + port + " -> 0.0.0.0:0 LISTEN");
                    });
        }
    }
}
