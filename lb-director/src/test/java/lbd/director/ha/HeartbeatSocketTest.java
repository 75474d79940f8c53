package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import lbd.director.unix.SeqPacketSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class HeartbeatSocketTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    /** Sent and received over IPv4 on the dual-stack socket; the sender comes back as plain IPv4. */
    @Test
    void sendsAndReceivesIpv4DatagramsWithTheirSender() throws Exception {
        int port = freeUdpPort();
        try (HeartbeatSocket socket = HeartbeatSocket.open(port, List.of(), 2048);
             DatagramSocket peer = new DatagramSocket(0, LOOPBACK)) {
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            socket.send(hello, hello.length, new InetSocketAddress(LOOPBACK, peer.getLocalPort()));
            DatagramPacket got = new DatagramPacket(new byte[64], 64);
            peer.receive(got);
            assertThat(new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII)).isEqualTo("hello");
            assertThat(got.getPort()).isEqualTo(port);

            peer.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, new InetSocketAddress(LOOPBACK, port)));
            byte[] in = new byte[2048];
            HeartbeatSocket.Received r = socket.receive(in, 5_000);
            assertThat(r).isNotNull();
            assertThat(r.length()).isEqualTo(3);
            assertThat(r.from()).isEqualTo(LOOPBACK);
            assertThat(socket.receive(in, 10)).as("nothing more: the wait ends empty").isNull();
        }
    }

    /**
     * What lbd upgrade relies on: a copy of the descriptor adopted (as the new process does) reads the datagrams
     * that waited in the socket's queue while nobody read, and sends from the same port.
     */
    @Test
    void anAdoptedCopyReadsWhatWaitedInTheQueueAndSendsFromTheSamePort() throws Exception {
        int port = freeUdpPort();
        try (HeartbeatSocket old = HeartbeatSocket.open(port, List.of(), 2048);
             DatagramSocket peer = new DatagramSocket(0, LOOPBACK)) {
            peer.send(new DatagramPacket(new byte[] {7}, 1, new InetSocketAddress(LOOPBACK, port)));
            int copy = SeqPacketSocket.duplicates(old.fd())[0];
            old.close(); // the old process lets go; the socket lives on in the copy
            try (HeartbeatSocket adopted = HeartbeatSocket.adopt(copy, 2048)) {
                byte[] in = new byte[2048];
                HeartbeatSocket.Received r = adopted.receive(in, 5_000);
                assertThat(r).isNotNull();
                assertThat(in[0]).isEqualTo((byte) 7);
                adopted.send(new byte[] {9}, 1, new InetSocketAddress(LOOPBACK, peer.getLocalPort()));
                DatagramPacket got = new DatagramPacket(new byte[8], 8);
                peer.receive(got);
                assertThat(got.getPort()).isEqualTo(port);
            }
        }
    }

    /** ha.cf's mcast line: the group is joined on the interface (here lo), with its TTL and loop settings. */
    @Test
    void joinsAMulticastGroupOnAnInterface() throws Exception {
        try (HeartbeatSocket socket = HeartbeatSocket.open(freeUdpPort(),
                List.of(new HeartbeatSocket.Membership("lo", InetAddress.ofLiteral("239.0.0.18"), 1, false)), 2048)) {
            assertThat(socket.fd()).isNotNegative();
        }
    }
}
